//! A small SMTP client for the tests, that speaks to tend's listener or to
//! Postfix and keeps every reply, so a test can assert the code of each
//! step (lettre hides the replies to RCPT behind one error).

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

pub struct Client {
    read: BufReader<OwnedReadHalf>,
    write: OwnedWriteHalf,
    /// The greeting, then one reply per command.
    pub replies: Vec<String>,
}

/// One message to send: the envelope and the bytes (any line ends; they
/// become CRLF, and lines starting with a dot are stuffed).
pub struct Envelope<'a> {
    /// `""` is the null sender of DSNs.
    pub from: &'a str,
    pub to: &'a [&'a str],
    pub message: &'a str,
}

impl Client {
    pub async fn connect(port: u16) -> Client {
        let stream = TcpStream::connect(("127.0.0.1", port)).await.expect("connects");
        let (read, write) = stream.into_split();
        let mut client = Client { read: BufReader::new(read), write, replies: Vec::new() };
        let greeting = client.reply().await;
        client.replies.push(greeting);
        client
    }

    /// Sends one command line and returns its (last) reply line.
    pub async fn command(&mut self, line: &str) -> String {
        self.write.write_all(format!("{line}\r\n").as_bytes()).await.expect("writes");
        let reply = self.reply().await;
        self.replies.push(reply.clone());
        reply
    }

    /// EHLO, MAIL, each RCPT and, if any was accepted, DATA: returns the
    /// reply to the end of the data, or to the last refused step.
    pub async fn send(&mut self, envelope: &Envelope<'_>) -> String {
        self.command("EHLO client.example.com").await;
        let mail = self.command(&format!("MAIL FROM:<{}>", envelope.from)).await;
        if !mail.starts_with('2') {
            return mail;
        }
        let mut last = String::new();
        let mut accepted = 0;
        for to in envelope.to {
            last = self.command(&format!("RCPT TO:<{to}>")).await;
            accepted += usize::from(last.starts_with('2'));
        }
        if accepted == 0 {
            return last;
        }
        let data = self.command("DATA").await;
        if !data.starts_with("354") {
            return data;
        }
        self.command(&format!("{}\r\n.", stuffed(envelope.message))).await
    }

    pub async fn quit(mut self) {
        self.command("QUIT").await;
    }

    /// Reads one reply, multi-line replies to their last line; empty if
    /// the server closed.
    pub async fn reply(&mut self) -> String {
        let mut line = String::new();
        loop {
            line.clear();
            if self.read.read_line(&mut line).await.unwrap_or(0) == 0 {
                return String::new();
            }
            if line.as_bytes().get(3) != Some(&b'-') {
                return line.trim_end().to_owned();
            }
        }
    }
}

/// CRLF line ends and dot-stuffing (RFC 5321, 4.5.2).
fn stuffed(message: &str) -> String {
    let lines: Vec<String> = message
        .replace("\r\n", "\n")
        .trim_end_matches('\n')
        .split('\n')
        .map(|line| if line.starts_with('.') { format!(".{line}") } else { line.to_owned() })
        .collect();
    lines.join("\r\n")
}
