//! One SMTP session of the pool and the mail transaction it runs: MAIL,
//! RCPT, DATA, the message and its end, with the stage recorded before each
//! step so that a failure or a timeout can be classified.
//!
//! When the relay offers PIPELINING (RFC 2920), MAIL, every RCPT and DATA
//! leave in one write and their replies are read in order: two round trips
//! per message instead of four. On a busy sender those round trips, not the
//! bytes, are what the relay, the kernel and tend spend their time on.
//! Relays without it get one command at a time.

use lettre::Address;
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::commands::{Data, Ehlo, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};

use super::stage::{Failure, Progress, Stage};
use crate::domain::redact_addresses;
use crate::mail::SendOutcome;

/// A connection and what its relay offers beyond what lettre tracks.
pub(super) struct Session {
    pub(super) connection: AsyncSmtpConnection,
    pipelining: bool,
}

impl Session {
    /// Asks the relay for its extensions once more (lettre keeps only those
    /// it uses itself) to learn whether it takes pipelined commands. Sent
    /// after TLS is up and before any login, where EHLO is always allowed.
    pub(super) async fn start(mut connection: AsyncSmtpConnection, hello: &ClientId) -> Result<Self, Failure> {
        let reply = connection.command(Ehlo::new(hello.clone())).await.map_err(Failure::at(Stage::Connecting))?;
        let pipelining = reply.message().any(offers_pipelining);
        Ok(Self { connection, pipelining })
    }

    /// Runs one mail transaction on this session.
    pub(super) async fn transact(
        &mut self,
        from: &Address,
        recipients: &[Address],
        message: &[u8],
        progress: &Progress,
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

    async fn data(&mut self, message: &[u8], progress: &Progress) -> Result<SendOutcome, Failure> {
        // lettre writes the parts, then `\r\n.\r\n`, then reads the reply. The
        // iterator is polled past its last part only once every part is written,
        // which is the moment the end of data starts to leave.
        let parts = std::iter::once(message).chain(std::iter::from_fn(|| {
            progress.set(Stage::EndOfData);
            None
        }));
        let response = self.connection.message_iter(parts).await.map_err(|error| Failure::at(progress.get())(error))?;
        let code = u16::from(response.code());
        let text = response.message().collect::<Vec<_>>().join(" ");
        // Relays often echo the recipient ("queued for <a@b.example>"): the reply is kept and logged without it.
        Ok(SendOutcome::Sent { code, reply: redact_addresses(&format!("{code} {text}")) })
    }
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
    use super::offers_pipelining;

    #[test]
    fn pipelining_is_read_from_the_ehlo_keyword_in_any_case() {
        assert!(offers_pipelining("PIPELINING"));
        assert!(offers_pipelining("pipelining"));
        assert!(!offers_pipelining("SIZE 10240000"));
        assert!(!offers_pipelining("XPIPELINING"));
        assert!(!offers_pipelining(""));
    }
}
