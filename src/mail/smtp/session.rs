//! One SMTP session of the pool and the mail transaction it runs: MAIL,
//! RCPT, DATA, the message and its end, with the stage recorded before each
//! step so that a failure or a timeout can be classified.
//!
//! When the relay offers PIPELINING (RFC 2920), MAIL, every RCPT and DATA
//! leave in one write and their replies are read in order: two round trips
//! per message instead of four. And when the sender already has the next
//! message for this session, its envelope rides in the same write as this
//! message's end of data ([`Session::chained_envelope`]): one round trip
//! per message. On a busy sender those round trips, not the bytes, are what
//! the relay, the kernel and tend spend their time on. Relays without
//! PIPELINING get one command at a time.
//!
//! The message goes out dot-stuffed and with its end of data in one write
//! (lettre's own `message` writes the end of data as a second, small
//! packet, and stuffs byte by byte). The socket's [`Watch`] marks the moment
//! that write is handed over, which decides between "retry" and "outcome
//! unknown".

use std::sync::Arc;

use lettre::Address;
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::commands::{Data, Ehlo, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};

use super::stage::{Failure, Progress, Stage};
use super::watch::Watch;
use crate::domain::redact_addresses;
use crate::mail::SendOutcome;

/// A connection and what its relay offers beyond what lettre tracks.
pub(super) struct Session {
    pub(super) connection: AsyncSmtpConnection,
    pipelining: bool,
    watch: Watch,
}

impl Session {
    /// Asks the relay for its extensions once more (lettre keeps only those
    /// it uses itself) to learn whether it takes pipelined commands. Sent
    /// after TLS is up and before any login, where EHLO is always allowed.
    pub(super) async fn start(
        mut connection: AsyncSmtpConnection,
        watch: Watch,
        hello: &ClientId,
    ) -> Result<Self, Failure> {
        let reply = connection.command(Ehlo::new(hello.clone())).await.map_err(Failure::at(Stage::Connecting))?;
        let pipelining = reply.message().any(offers_pipelining);
        Ok(Self { connection, pipelining, watch })
    }

    /// Sends one message's envelope (MAIL, RCPT, DATA): on success the
    /// relay waits for its data.
    pub(super) async fn envelope(&mut self, message: &Outgoing<'_>, progress: &Arc<Progress>) -> Result<(), Failure> {
        progress.set(Stage::Envelope);
        let envelope = self.envelope_commands(message)?;
        if self.pipelining {
            self.connection.command(envelope.concat()).await.map_err(Failure::at(Stage::Envelope))?;
            self.envelope_replies(envelope.len() - 1).await
        } else {
            let failure = Failure::at(Stage::Envelope);
            for command in &envelope {
                self.connection.command(command).await.map_err(&failure)?;
            }
            Ok(())
        }
    }

    /// The rest of a pipelined envelope's replies, in order, once the
    /// first was read. The first refusal decides, as it would one command
    /// at a time; the pool drops a session whose transaction failed, so the
    /// replies still unread never reach another message.
    pub(super) async fn envelope_replies(&mut self, count: usize) -> Result<(), Failure> {
        let failure = Failure::at(Stage::Envelope);
        for _ in 0..count {
            self.connection.read_response().await.map_err(&failure)?;
        }
        Ok(())
    }

    /// MAIL, one RCPT per recipient and DATA, each as it goes on the wire.
    fn envelope_commands(&self, message: &Outgoing<'_>) -> Result<Vec<String>, Failure> {
        let parameters = mail_parameters(&self.connection, message)?;
        let mail = Mail::new(Some(message.from.clone()), parameters).to_string();
        let rcpts = message.to.iter().map(|recipient| Rcpt::new(recipient.clone(), vec![]).to_string());
        Ok(std::iter::once(mail).chain(rcpts).chain(std::iter::once(Data.to_string())).collect())
    }

    /// The envelope of the message after this one, to go in the same write
    /// as this one's end of data (RFC 2920 3.1: message content may be the
    /// first "command" of a group). `None` when this relay does not
    /// pipeline or the message cannot go on this session: it then goes
    /// alone, and its own send says why.
    pub(super) fn chained_envelope(&self, next: &Outgoing<'_>) -> Option<Chained> {
        if !self.pipelining || std::str::from_utf8(next.data).is_err() {
            return None;
        }
        let commands = self.envelope_commands(next).ok()?;
        Some(Chained { replies: commands.len(), commands: commands.concat() })
    }

    /// The message and its end of data, then the relay's reply; with
    /// `then`, the next message's envelope leaves in the same write and its
    /// replies are left for [`Self::envelope_replies`]. From the moment the
    /// watch sees the write handed over, a lost reply means the relay may
    /// have the message.
    pub(super) async fn data(
        &mut self,
        message: &[u8],
        then: Option<&Chained>,
        progress: &Arc<Progress>,
    ) -> Result<SendOutcome, Failure> {
        progress.set(Stage::Data);
        self.watch.arm(progress);
        let reply = match std::str::from_utf8(message) {
            // `command` writes it all, flushes, then reads the first reply.
            Ok(text) => {
                let mut wire = with_end_of_data(text, then.map_or(0, |chained| chained.commands.len()));
                if let Some(chained) = then {
                    wire.push_str(&chained.commands);
                }
                self.connection.command(wire).await
            }
            // Never from tend's composer (its messages are text, and
            // `chained_envelope` is given only text), kept for any other
            // bytes: lettre stuffs and ends them in two writes, and the
            // watch then fires after the message, before its end.
            Err(_) => self.connection.message_iter(std::iter::once(message)).await,
        };
        self.watch.disarm();
        let response = reply.map_err(|error| Failure::at(progress.get())(error))?;
        let code = u16::from(response.code());
        let text = response.message().collect::<Vec<_>>().join(" ");
        // Relays often echo the recipient ("queued for <a@b.example>"): the reply is kept and logged without it.
        Ok(SendOutcome::Sent { code, reply: redact_addresses(&format!("{code} {text}")) })
    }
}

/// One message as the pool sends it: the envelope and the bytes of DATA.
pub struct Outgoing<'a> {
    pub from: &'a Address,
    pub to: &'a [Address],
    pub data: &'a [u8],
}

/// The next message's envelope, written behind this one's end of data.
pub(super) struct Chained {
    commands: String,
    /// Replies it asks for: MAIL, each RCPT, DATA.
    pub(super) replies: usize,
}

/// The message as DATA carries it (RFC 5321 4.5.2): a line that starts
/// with `.` gets one more, and `CRLF . CRLF` ends it, exactly as lettre's
/// own encoder does it (lines end in CRLF: the composer normalises them).
fn with_end_of_data(message: &str, room_after: usize) -> String {
    const END: &str = "\r\n.\r\n";
    let mut out = String::with_capacity(message.len() + END.len() + 16 + room_after);
    let mut at_line_start = true;
    // Splitting on one byte finds the ends quickly; most lines need no dot.
    for line in message.split_inclusive('\n') {
        if at_line_start && line.starts_with('.') {
            out.push('.');
        }
        out.push_str(line);
        at_line_start = line.ends_with("\r\n");
    }
    out.push_str(END);
    out
}

/// An EHLO reply line (after the code) that announces PIPELINING.
fn offers_pipelining(line: &str) -> bool {
    line.split_whitespace().next().is_some_and(|keyword| keyword.eq_ignore_ascii_case("PIPELINING"))
}

/// SMTPUTF8 and 8BITMIME, as lettre's own `send` would ask for them.
fn mail_parameters(connection: &AsyncSmtpConnection, message: &Outgoing<'_>) -> Result<Vec<MailParameter>, Failure> {
    let info = connection.server_info();
    let mut parameters = Vec::new();
    if std::iter::once(message.from).chain(message.to).any(|a: &Address| !AsRef::<str>::as_ref(a).is_ascii()) {
        if !info.supports_feature(Extension::SmtpUtfEight) {
            // This relay can never take it: a permanent failure of this message.
            return Err(Failure {
                stage: Stage::Envelope,
                code: Some(553),
                reason: "the address is not ASCII and the relay does not support SMTPUTF8".into(),
            });
        }
        parameters.push(MailParameter::SmtpUtfEight);
    }
    if !message.data.is_ascii() && info.supports_feature(Extension::EightBitMime) {
        parameters.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    Ok(parameters)
}

#[cfg(test)]
mod tests {
    use super::{offers_pipelining, with_end_of_data};

    #[test]
    fn lines_that_start_with_a_dot_get_one_more_and_the_end_of_data_follows() {
        assert_eq!(with_end_of_data("a\r\nb", 0), "a\r\nb\r\n.\r\n");
        assert_eq!(with_end_of_data(".a\r\n.\r\n..b\r\n", 0), "..a\r\n..\r\n...b\r\n\r\n.\r\n");
        // A dot inside a line, or after a bare LF (not a line end on the wire), stays.
        assert_eq!(with_end_of_data("a.b\n.c", 0), "a.b\n.c\r\n.\r\n");
        assert_eq!(with_end_of_data("", 0), "\r\n.\r\n");
    }

    #[test]
    fn pipelining_is_read_from_the_ehlo_keyword_in_any_case() {
        assert!(offers_pipelining("PIPELINING"));
        assert!(offers_pipelining("pipelining"));
        assert!(!offers_pipelining("SIZE 10240000"));
        assert!(!offers_pipelining("XPIPELINING"));
        assert!(!offers_pipelining(""));
    }
}
