//! One SMTP session of the pool and the mail transaction it runs: MAIL,
//! RCPT, DATA, the message and its end, with the stage recorded before each
//! step so that a failure or a timeout can be classified.
//!
//! When the relay offers PIPELINING (RFC 2920), MAIL, every RCPT and DATA
//! leave in one write and their replies are read in order: two round trips
//! per message instead of four. On a busy sender those round trips, not the
//! bytes, are what the relay, the kernel and tend spend their time on.
//! Relays without it get one command at a time.
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

    /// Runs one mail transaction on this session.
    pub(super) async fn transact(
        &mut self,
        from: &Address,
        recipients: &[Address],
        message: &[u8],
        progress: &Arc<Progress>,
    ) -> Result<SendOutcome, Failure> {
        progress.set(Stage::Envelope);
        let parameters = mail_parameters(&self.connection, from, recipients, message)?;
        let envelope = envelope(Mail::new(Some(from.clone()), parameters), recipients);
        if self.pipelining {
            self.envelope_pipelined(&envelope).await?;
        } else {
            self.envelope_one_by_one(&envelope).await?;
        }
        progress.set(Stage::Data);
        self.data(message, progress).await
    }

    async fn envelope_one_by_one(&mut self, envelope: &[String]) -> Result<(), Failure> {
        let failure = Failure::at(Stage::Envelope);
        for command in envelope {
            self.connection.command(command).await.map_err(&failure)?;
        }
        Ok(())
    }

    /// The whole envelope in one write, then its replies in order. The
    /// first refusal decides, as it would one command at a time; the pool
    /// drops a session whose transaction failed, so the replies still
    /// unread never reach another message.
    async fn envelope_pipelined(&mut self, envelope: &[String]) -> Result<(), Failure> {
        let failure = Failure::at(Stage::Envelope);
        // `command` writes the group and reads MAIL's reply; then one per RCPT and DATA.
        self.connection.command(envelope.concat()).await.map_err(&failure)?;
        for _ in 1..envelope.len() {
            self.connection.read_response().await.map_err(&failure)?;
        }
        Ok(())
    }

    /// The message and its end of data, then the relay's reply. From the
    /// moment the watch sees them handed over, a lost reply means the relay
    /// may have the message.
    async fn data(&mut self, message: &[u8], progress: &Arc<Progress>) -> Result<SendOutcome, Failure> {
        self.watch.arm(progress);
        let reply = match std::str::from_utf8(message) {
            // `command` writes it all, flushes, then reads the reply.
            Ok(text) => self.connection.command(with_end_of_data(text)).await,
            // Never from tend's composer (its messages are text), kept for
            // any other bytes: lettre stuffs and ends them in two writes, and
            // the watch then fires after the message, before its end.
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

/// The message as DATA carries it (RFC 5321 4.5.2): a line that starts
/// with `.` gets one more, and `CRLF . CRLF` ends it, exactly as lettre's
/// own encoder does it (lines end in CRLF: the composer normalises them).
fn with_end_of_data(message: &str) -> String {
    const END: &str = "\r\n.\r\n";
    let mut out = String::with_capacity(message.len() + END.len() + 16);
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

/// MAIL, one RCPT per recipient and DATA, each as it goes on the wire.
fn envelope(mail: Mail, recipients: &[Address]) -> Vec<String> {
    let rcpts = recipients.iter().map(|recipient| Rcpt::new(recipient.clone(), vec![]).to_string());
    std::iter::once(mail.to_string()).chain(rcpts).chain(std::iter::once(Data.to_string())).collect()
}

/// An EHLO reply line (after the code) that announces PIPELINING.
fn offers_pipelining(line: &str) -> bool {
    line.split_whitespace().next().is_some_and(|keyword| keyword.eq_ignore_ascii_case("PIPELINING"))
}

/// SMTPUTF8 and 8BITMIME, as lettre's own `send` would ask for them.
fn mail_parameters(
    connection: &AsyncSmtpConnection,
    from: &Address,
    recipients: &[Address],
    message: &[u8],
) -> Result<Vec<MailParameter>, Failure> {
    let info = connection.server_info();
    let mut parameters = Vec::new();
    if std::iter::once(from).chain(recipients).any(|a: &Address| !AsRef::<str>::as_ref(a).is_ascii()) {
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
    if !message.is_ascii() && info.supports_feature(Extension::EightBitMime) {
        parameters.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    Ok(parameters)
}

#[cfg(test)]
mod tests {
    use super::{offers_pipelining, with_end_of_data};

    #[test]
    fn lines_that_start_with_a_dot_get_one_more_and_the_end_of_data_follows() {
        assert_eq!(with_end_of_data("a\r\nb"), "a\r\nb\r\n.\r\n");
        assert_eq!(with_end_of_data(".a\r\n.\r\n..b\r\n"), "..a\r\n..\r\n...b\r\n\r\n.\r\n");
        // A dot inside a line, or after a bare LF (not a line end on the wire), stays.
        assert_eq!(with_end_of_data("a.b\n.c"), "a.b\n.c\r\n.\r\n");
        assert_eq!(with_end_of_data(""), "\r\n.\r\n");
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
