//! A minimal in-process SMTP receiver, not a real server: a stub on
//! 127.0.0.1 that speaks just enough plain ESMTP for lettre (EHLO, MAIL,
//! RCPT, DATA, RSET, NOOP, QUIT), answers 250 and keeps every message. Like
//! many relays it echoes the recipient in its replies ("queued for <a@b>"),
//! and it refuses recipients whose address starts with `bounce` as Postfix
//! does (`550 5.1.1 <a@b>: Recipient address rejected`), so every test also
//! runs tend's redaction of relay replies. No STARTTLS, no AUTH, no
//! PIPELINING. Tests about
//! the product (pages, links, planning) read mail from it because it is
//! instant and exact; what a real relay does to tend (TLS, logins, 4xx and
//! 5xx) is tested against Postfix in `relays`.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone)]
pub struct ReceivedMail {
    /// The envelope sender (MAIL FROM), angle brackets removed.
    pub from: String,
    pub to: Vec<String>,
    /// The message as transmitted, dot-unstuffed, with CRLF line ends.
    pub data: String,
}

impl ReceivedMail {
    /// The message with quoted-printable soft breaks and `=3D` undone, enough
    /// to read our ASCII bodies and find links in them.
    pub fn decoded(&self) -> String {
        self.data.replace("=\r\n", "").replace("=3D", "=")
    }

    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or_default();
        let prefix = format!("{}:", name.to_ascii_lowercase());
        let mut lines = head.split("\r\n").peekable();
        while let Some(line) = lines.next() {
            if line.to_ascii_lowercase().starts_with(&prefix) {
                let mut value = line[prefix.len()..].trim().to_owned();
                while let Some(next) = lines.peek().filter(|l| l.starts_with(' ') || l.starts_with('\t')) {
                    value.push(' ');
                    value.push_str(next.trim());
                    lines.next();
                }
                return Some(value);
            }
        }
        None
    }
}

#[derive(Clone)]
pub struct StubSmtpServer {
    pub port: u16,
    received: Arc<Mutex<Vec<ReceivedMail>>>,
}

impl StubSmtpServer {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind smtp");
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let store = received.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(session(stream, store.clone()));
            }
        });
        Self { port, received }
    }

    pub fn received(&self) -> Vec<ReceivedMail> {
        self.received.lock().unwrap().clone()
    }

    pub fn received_by(&self, address: &str) -> Vec<ReceivedMail> {
        self.received().into_iter().filter(|m| m.to.iter().any(|t| t == address)).collect()
    }
}

async fn session(stream: TcpStream, store: Arc<Mutex<Vec<ReceivedMail>>>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    let _ = write.all_reply("220 test.local ESMTP ready\r\n").await;
    let mut to = Vec::new();
    let mut from = String::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let upper = line.to_ascii_uppercase();
        let reply = if upper.starts_with("EHLO") {
            "250-test.local\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            "250 ok\r\n"
        } else if upper.starts_with("MAIL FROM") {
            to.clear();
            let rest = line.trim()[10..].trim();
            from = rest.split_whitespace().next().unwrap_or_default().trim_matches(['<', '>']).to_owned();
            "250 ok\r\n"
        } else if upper.starts_with("RCPT TO") {
            let address = line.trim()[8..].trim().trim_start_matches('<').trim_end_matches('>').to_owned();
            let reply = if address.starts_with("bounce") {
                format!("550 5.1.1 <{address}>: Recipient address rejected: User unknown in local recipient table\r\n")
            } else {
                format!("250 2.1.5 <{address}>... Recipient ok\r\n")
            };
            if reply.starts_with("250") {
                to.push(address);
            }
            if write.all_reply(&reply).await.is_err() {
                return;
            }
            continue;
        } else if upper.starts_with("DATA") {
            let _ = write.all_reply("354 go ahead\r\n").await;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                    return;
                }
                if line == ".\r\n" {
                    break;
                }
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            let reply = format!("250 2.0.0 Ok: queued as 4F3A2B for <{}>\r\n", to.join(">, <"));
            store.lock().unwrap().push(ReceivedMail {
                from: std::mem::take(&mut from),
                to: std::mem::take(&mut to),
                data,
            });
            if write.all_reply(&reply).await.is_err() {
                return;
            }
            continue;
        } else if upper.starts_with("RSET") {
            to.clear();
            "250 ok\r\n"
        } else if upper.starts_with("QUIT") {
            let _ = write.all_reply("221 bye\r\n").await;
            return;
        } else {
            "502 command not implemented\r\n"
        };
        if write.all_reply(reply).await.is_err() {
            return;
        }
    }
}

trait Reply {
    async fn all_reply(&mut self, text: &str) -> std::io::Result<()>;
}

impl Reply for tokio::net::tcp::OwnedWriteHalf {
    async fn all_reply(&mut self, text: &str) -> std::io::Result<()> {
        self.write_all(text.as_bytes()).await
    }
}
