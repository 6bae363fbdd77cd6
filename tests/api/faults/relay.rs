//! A scriptable SMTP relay for fault tests: each message gets the next
//! behaviour from a script (the default behaviour, accept unless set, when
//! the script is empty), every message that reached the end of data is
//! counted by Message-ID, and a hook can run right after the k-th 250 was
//! written (to kill the sender at the worst moment). It offers PIPELINING
//! (unless started without it), counts the envelopes whose MAIL, RCPT and
//! DATA arrived in one piece, and refuses recipients whose address starts
//! with `refused` at RCPT, as Postfix does, with DATA then answered 554.
//! It keeps every message as it arrived (dot-stuffing undone), text or not,
//! and counts the connections it accepted.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::OwnedReadHalf;
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone)]
pub enum Behaviour {
    Accept,
    /// Answer the end of data with this reply line, e.g. "451 4.3.0 later".
    Reply(&'static str),
    /// Read the whole message, then hang up without a reply.
    HangUpAfterData,
    /// Read the whole message, wait, then accept (the client may be gone).
    SlowReply(Duration),
    /// Answer DATA with 354 and then never read the message.
    StopReadingAtData,
    /// Accept, but only once more bytes arrived after the end of data: a
    /// client that waits for this reply before it writes the next
    /// message's envelope never gets it (and times out).
    AcceptOnceTheNextCommandArrives,
}

type Hook = Box<dyn FnOnce() + Send>;

#[derive(Clone, Default)]
pub struct Relay {
    pub port: u16,
    script: Arc<Mutex<VecDeque<Behaviour>>>,
    /// What a message gets when the script is empty (`None`: accept).
    default: Arc<Mutex<Option<Behaviour>>>,
    /// Message-IDs of every message whose end of data arrived.
    received: Arc<Mutex<Vec<String>>>,
    /// 250s written after the data so far.
    accepted: Arc<AtomicUsize>,
    /// Runs once, right after the k-th 250 was written.
    after_accepted: Arc<Mutex<Option<(usize, Hook)>>>,
    without_pipelining: bool,
    /// Envelopes whose DATA was already read in with their MAIL.
    pipelined: Arc<AtomicUsize>,
    /// Every message that reached the end of data, dot-stuffing undone.
    messages: Arc<Mutex<Vec<Vec<u8>>>>,
    /// Connections accepted so far.
    connections: Arc<AtomicUsize>,
}

impl Relay {
    pub async fn start() -> Self {
        Self::start_on(0).await
    }

    pub async fn start_on(port: u16) -> Self {
        Self::listen(port, false).await
    }

    /// A relay that does not offer PIPELINING.
    pub async fn start_without_pipelining() -> Self {
        Self::listen(0, true).await
    }

    async fn listen(port: u16, without_pipelining: bool) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.expect("bind relay");
        let relay = Relay { port: listener.local_addr().unwrap().port(), without_pipelining, ..Default::default() };
        let shared = relay.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                shared.connections.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(shared.clone().session(stream));
            }
        });
        relay
    }

    pub fn then(&self, behaviour: Behaviour) -> &Self {
        self.script.lock().unwrap().push_back(behaviour);
        self
    }

    /// What every message gets once the script is used up.
    pub fn always(&self, behaviour: Behaviour) -> &Self {
        *self.default.lock().unwrap() = Some(behaviour);
        self
    }

    /// Runs `hook` right after the relay has written its `k`-th 250 for a
    /// message (counting from 1), before it reads anything more.
    pub fn after_accepting(&self, k: usize, hook: impl FnOnce() + Send + 'static) {
        *self.after_accepted.lock().unwrap() = Some((k, Box::new(hook)));
    }

    /// 250s written after the data so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// Envelopes (MAIL, RCPT…, DATA) that arrived in one piece.
    pub fn pipelined_envelopes(&self) -> usize {
        self.pipelined.load(Ordering::SeqCst)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Every message that reached the end of data, as its sender meant it.
    pub fn messages(&self) -> Vec<Vec<u8>> {
        self.messages.lock().unwrap().clone()
    }

    pub fn message_ids(&self) -> Vec<String> {
        self.received.lock().unwrap().clone()
    }

    async fn session(self, stream: TcpStream) {
        let _ = stream.set_nodelay(true);
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read);
        let mut line = String::new();
        let mut recipients = 0;
        if write.write_all(b"220 relay.test ESMTP\r\n").await.is_err() {
            return;
        }
        loop {
            line.clear();
            if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                return;
            }
            let upper = line.to_ascii_uppercase();
            let reply: &str = if upper.starts_with("EHLO") && self.without_pipelining {
                "250-relay.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
            } else if upper.starts_with("EHLO") {
                "250-relay.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
            } else if upper.starts_with("MAIL") {
                recipients = 0;
                if lines.buffer().windows(6).any(|w| w == b"DATA\r\n") {
                    self.pipelined.fetch_add(1, Ordering::SeqCst);
                }
                "250 2.1.0 ok\r\n"
            } else if upper.starts_with("RCPT TO:<REFUSED") {
                "550 5.1.1 <refused@example.com>: Recipient address rejected\r\n"
            } else if upper.starts_with("RCPT") {
                recipients += 1;
                "250 2.1.5 ok\r\n"
            } else if upper.starts_with("DATA") && recipients == 0 {
                "554 5.5.1 Error: no valid recipients\r\n"
            } else if upper.starts_with("DATA") {
                let _ = write.write_all(b"354 go ahead\r\n").await;
                if self.next_stops_reading_at_data() {
                    // Hold the connection open, read nothing: the client's writes fill the buffers.
                    return std::future::pending().await;
                }
                let Some(message_id) = self.read_message(&mut lines).await else { return };
                self.received.lock().unwrap().push(message_id);
                let scripted = self.script.lock().unwrap().pop_front();
                let behaviour = scripted.or_else(|| self.default.lock().unwrap().clone()).unwrap_or(Behaviour::Accept);
                let accepted = match behaviour {
                    Behaviour::Accept => "250 2.0.0 queued\r\n",
                    Behaviour::Reply(text) => {
                        let _ = write.write_all(format!("{text}\r\n").as_bytes()).await;
                        continue;
                    }
                    Behaviour::HangUpAfterData => return,
                    Behaviour::StopReadingAtData => unreachable!("taken when DATA arrived"),
                    Behaviour::AcceptOnceTheNextCommandArrives => {
                        if lines.buffer().is_empty() && lines.fill_buf().await.map_or(true, |more| more.is_empty()) {
                            return;
                        }
                        "250 2.0.0 queued\r\n"
                    }
                    Behaviour::SlowReply(pause) => {
                        tokio::time::sleep(pause).await;
                        "250 2.0.0 queued late\r\n"
                    }
                };
                if write.write_all(accepted.as_bytes()).await.is_err() {
                    return;
                }
                self.count_accepted();
                continue;
            } else if upper.starts_with("QUIT") {
                let _ = write.write_all(b"221 bye\r\n").await;
                return;
            } else {
                "250 ok\r\n"
            };
            if write.write_all(reply.as_bytes()).await.is_err() {
                return;
            }
        }
    }
}

impl Relay {
    /// Reads one message up to its end of data and keeps it; its Message-ID,
    /// or `None` if the client left.
    async fn read_message(&self, lines: &mut BufReader<OwnedReadHalf>) -> Option<String> {
        let (mut line, mut message, mut message_id) = (Vec::new(), Vec::new(), String::new());
        loop {
            line.clear();
            if lines.read_until(b'\n', &mut line).await.unwrap_or(0) == 0 {
                return None;
            }
            if line == b".\r\n" {
                self.messages.lock().unwrap().push(message);
                return Some(message_id);
            }
            let unstuffed = line.strip_prefix(b".").unwrap_or(&line);
            message.extend_from_slice(unstuffed);
            let text = String::from_utf8_lossy(unstuffed);
            if message_id.is_empty() && text.to_ascii_lowercase().starts_with("message-id:") {
                message_id = text[11..].trim().to_owned();
            }
        }
    }

    /// Whether the next message is to be left unread (taken off the script
    /// if it came from there): decided when DATA arrives, not after the data.
    fn next_stops_reading_at_data(&self) -> bool {
        let stops = |b: &Behaviour| matches!(b, Behaviour::StopReadingAtData);
        let mut script = self.script.lock().unwrap();
        match script.front() {
            Some(next) if stops(next) => script.pop_front().is_some(),
            Some(_) => false,
            None => self.default.lock().unwrap().as_ref().is_some_and(stops),
        }
    }

    fn count_accepted(&self) {
        let count = self.accepted.fetch_add(1, Ordering::SeqCst) + 1;
        let mut hook = self.after_accepted.lock().unwrap();
        if hook.as_ref().is_some_and(|(k, _)| *k == count) {
            let (_, run) = hook.take().expect("checked above");
            run();
        }
    }
}

/// A loopback port with nothing listening on it (connections are refused).
pub async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}
