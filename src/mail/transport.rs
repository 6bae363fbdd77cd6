//! Transports: where rendered emails go, built once at start-up.
//!
//! `file` writes each message as an `.eml` file (plus a small `.json` summary
//! for the `/outbox` page, see [`super::outbox`]) so that someone trying tend
//! out can read and click everything without an SMTP server. `smtp` speaks to a relay through tend's
//! own connection pool (`super::smtp`), which knows how far each transaction
//! got. Both return a `SendOutcome`, which tells the sender whether to
//! record, retry or give up. The envelope is set explicitly: its sender is
//! the delivery's bounce address (VERP) when the composer gave one, and a
//! `Reply-To` header carries its reply address.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use lettre::address::Envelope;
use lettre::message::dkim::DkimConfig;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Address, Message};
use secrecy::ExposeSecret;

use super::compose::OutgoingEmail;
use super::headers::{AutoSubmitted, ContentLanguage, ListId, ListUnsubscribe, ListUnsubscribePost};
use super::smtp::{self, Opened, Outgoing, SmtpPool, Then};
use super::{dkim, outbox};

use crate::config::{MailSettings, MailTransportKind, StartTls};

/// What happened to one send, in the terms the retry policy needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// The relay (or the outbox folder) took the message.
    Sent { code: u16, reply: String },
    /// Try again later: 4xx, refused connection, TLS or handshake trouble.
    Transient { code: Option<u16>, reason: String },
    /// Never try again: 5xx. 5.1.x means the address does not exist.
    Permanent { code: u16, reason: String },
    /// The connection broke or timed out after the end of the data, so the
    /// relay may have accepted it: retry with the same Message-ID and count it.
    Unknown { reason: String },
}

pub struct Mailer {
    sink: Sink,
    from: Mailbox,
    list_id: String,
    /// Signs every message when DKIM is configured.
    dkim: Option<DkimConfig>,
}

enum Sink {
    File(Arc<Path>),
    Smtp(Arc<SmtpPool>),
}

/// A message built for a mailer's transport, ready to send.
pub struct Prepared(Ready);

enum Ready {
    /// The outbox folder keeps the message and a summary of the email.
    File { dir: Arc<Path>, email: Box<OutgoingEmail>, message: Box<Message> },
    /// A relay needs the envelope and the message as it goes on the wire.
    Smtp { pool: Arc<SmtpPool>, from: Address, to: Vec<Address>, data: Vec<u8> },
}

impl Prepared {
    /// Sends the message where its mailer sends.
    pub async fn send(&self) -> SendOutcome {
        self.send_then(None, None).await.0
    }

    /// Sends the message, on `opened` when the relay already accepted its
    /// envelope there; `next`'s envelope may ride along (see
    /// [`SmtpPool::send_then`]). The outbox folder has no envelopes: for it
    /// every message goes alone.
    pub async fn send_then(&self, opened: Option<Opened>, next: Option<&Prepared>) -> (SendOutcome, Then) {
        match &self.0 {
            Ready::File { dir, email, message } => (outbox::write(dir, email, message).await, Then::Alone),
            Ready::Smtp { pool, from, to, data } => {
                let next = next.and_then(Prepared::outgoing);
                pool.send_then(opened, Outgoing { from, to, data }, next).await
            }
        }
    }

    fn outgoing(&self) -> Option<Outgoing<'_>> {
        match &self.0 {
            Ready::Smtp { from, to, data, .. } => Some(Outgoing { from, to, data }),
            Ready::File { .. } => None,
        }
    }
}

impl Mailer {
    pub fn from_settings(settings: &MailSettings) -> anyhow::Result<Self> {
        let from: Mailbox = settings.from.parse().with_context(|| {
            format!("mail.from: {:?} is not a mailbox such as \"tend <nudges@example.org>\"", settings.from)
        })?;
        anyhow::ensure!(!settings.list_id.contains(['\r', '\n']), "mail.list_id: must be one line");
        let list_id = settings.list_id.clone();
        let dkim = dkim::config(settings, from.email.domain())?;
        let sink = match settings.transport {
            MailTransportKind::File => Sink::File(settings.outbox_dir.as_path().into()),
            MailTransportKind::Smtp => Sink::Smtp(Arc::new(smtp_pool(settings)?)),
        };
        Ok(Mailer { sink, from, list_id, dkim })
    }

    /// The domain for Message-IDs: the From address's.
    pub fn from_domain(&self) -> String {
        self.from.email.domain().to_owned()
    }

    /// Builds and sends one email.
    pub async fn send(&self, email: &OutgoingEmail) -> SendOutcome {
        match self.prepare(email) {
            Ok(prepared) => prepared.send().await,
            Err(outcome) => outcome,
        }
    }

    /// Builds the message and everything its sending needs, without
    /// sending: the sender builds the next message while the previous one
    /// is on the wire. A message that cannot be built is a permanent
    /// failure (the `Err`).
    pub fn prepare(&self, email: &OutgoingEmail) -> Result<Prepared, SendOutcome> {
        let message = self.build(email).map_err(|err| SendOutcome::Permanent {
            code: 0,
            reason: format!("message could not be built: {err:#}"),
        })?;
        let ready = match &self.sink {
            Sink::File(dir) => {
                Ready::File { dir: dir.clone(), email: Box::new(email.clone()), message: Box::new(message) }
            }
            Sink::Smtp(pool) => {
                let envelope = message.envelope();
                let Some(from) = envelope.from().cloned() else {
                    return Err(SendOutcome::Permanent { code: 0, reason: "message has no sender".into() });
                };
                Ready::Smtp { pool: pool.clone(), from, to: envelope.to().to_vec(), data: message.formatted() }
            }
        };
        Ok(Prepared(ready))
    }

    fn build(&self, email: &OutgoingEmail) -> anyhow::Result<Message> {
        let to: Mailbox = email.to.parse().context("recipient address")?;
        let mut builder = Message::builder();
        if let Some(reply_to) = &email.reply_to {
            builder = builder.reply_to(reply_to.parse().context("reply address")?);
        }
        // MAIL FROM is the envelope's sender: this delivery's bounce address
        // when there is one, or else the From address.
        let sender = match &email.envelope_from {
            Some(bounce) => bounce.parse().context("bounce address")?,
            None => self.from.email.clone(),
        };
        let envelope = Envelope::new(Some(sender), vec![to.email.clone()]).context("envelope")?;
        // Discreet mail has a From name of its own; the address never changes.
        let from = match &email.from_name {
            Some(name) => Mailbox::new(Some(name.clone()), self.from.email.clone()),
            None => self.from.clone(),
        };
        builder = builder
            .envelope(envelope)
            .from(from)
            .to(to)
            .subject(email.subject.clone())
            .message_id(Some(email.message_id.clone()));
        // An invitation has nothing to unsubscribe from (see `OutgoingEmail`).
        if let Some(url) = &email.unsubscribe_url {
            builder = builder.header(ListUnsubscribe(format!("<{url}>"))).header(ListUnsubscribePost);
        }
        let mut message = builder
            .header(ListId(self.list_id.clone()))
            .header(AutoSubmitted)
            .header(ContentLanguage(email.language.to_owned()))
            .multipart(
                MultiPart::alternative()
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(part_body(&email.text)))
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(part_body(&email.html))),
            )?;
        if let Some(dkim) = &self.dkim {
            message.sign(dkim);
        }
        Ok(message)
    }
}

fn smtp_pool(settings: &MailSettings) -> anyhow::Result<SmtpPool> {
    let starttls = match settings.starttls {
        StartTls::None => None,
        StartTls::Opportunistic => Some(false),
        StartTls::Required => Some(true),
    };
    let (target, mut credentials) = smtp::parse_target(settings.smtp_url.expose_secret(), starttls)?;
    if !settings.smtp_username.is_empty() {
        credentials =
            Some(Credentials::new(settings.smtp_username.clone(), settings.smtp_password.expose_secret().to_owned()));
    }
    let trust = smtp::TlsTrust::load(&settings.ca_file, &settings.tls_server_name)?;
    let size = settings.pool_size.max(1) as usize;
    Ok(SmtpPool::new(target, credentials, settings.timeout.as_std(), size).with_trust(trust))
}

/// A part's body, its line ends normalised. A body that 7bit can carry goes
/// as it is: rendered mail in English is ASCII in lines far under SMTP's
/// limit, but its links make lines longer than 76 characters, for which
/// lettre picks quoted-printable, an encoding such text does not need (and
/// whose cost was a tenth of tend's CPU per message, BENCHMARKS.md finding
/// 14). Anything else (other languages' letters, an overlong line) gets
/// lettre's choice, quoted-printable or base64.
fn part_body(text: &str) -> Body {
    let body = normalize_newlines(text);
    match fits_7bit(&body) {
        // Checked just now: what `dangerous_pre_encoded` asks of a 7bit body.
        true => Body::dangerous_pre_encoded(body.into_bytes(), ContentTransferEncoding::SevenBit),
        false => Body::new(body),
    }
}

/// RFC 2045's 7bit data, for a body whose line ends are already CRLF: ASCII
/// without NUL, in lines of at most 998 octets (RFC 5322's limit). One pass
/// over the bytes (a CR is always part of a line end here, so it does not
/// count towards the line).
fn fits_7bit(body: &str) -> bool {
    let mut line = 0usize;
    for &byte in body.as_bytes() {
        match byte {
            b'\n' => line = 0,
            b'\r' => {}
            0 | 0x80.. => return false,
            _ if line == 998 => return false,
            _ => line += 1,
        }
    }
    true
}

/// Bare CR or LF in a body is a smuggling risk (RUSTSEC-2026-0561, fixed only
/// in lettre 0.11.24): every line ending becomes CRLF before lettre sees it.
pub fn normalize_newlines(body: &str) -> String {
    // Rendered templates end their lines with LF alone: one pass for them,
    // into a string sized for a CR on every line of a few dozen characters.
    if !body.contains('\r') {
        let mut out = String::with_capacity(body.len() + body.len() / 16 + 2);
        for (i, line) in body.split('\n').enumerate() {
            if i > 0 {
                out.push_str("\r\n");
            }
            out.push_str(line);
        }
        return out;
    }
    body.replace("\r\n", "\n").replace('\r', "\n").replace('\n', "\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_carriage_returns_and_line_feeds_become_crlf() {
        assert_eq!(normalize_newlines("a\rb\nc\r\nd"), "a\r\nb\r\nc\r\nd");
        assert_eq!(normalize_newlines("\r\n.\r\n"), "\r\n.\r\n");
        assert_eq!(normalize_newlines("x\n.\ny"), "x\r\n.\r\ny");
    }

    fn encoding(text: &str) -> ContentTransferEncoding {
        part_body(text).encoding()
    }

    #[test]
    fn ascii_in_lines_up_to_998_octets_goes_as_it_is() {
        let link_line = format!("https://tend.example/n/{}\n", "a".repeat(200));
        let body = part_body(&format!("Hello\n{link_line}\n.\nbye"));
        assert_eq!(body.encoding(), ContentTransferEncoding::SevenBit);
        assert_eq!(body.into_vec(), format!("Hello\r\n{}\r\n\r\n.\r\nbye", link_line.trim_end()).into_bytes());
        assert_eq!(encoding(&"x".repeat(998)), ContentTransferEncoding::SevenBit);
        // The count starts again after every line end.
        assert!(fits_7bit(&format!("{}\r\n{}\r\n", "x".repeat(998), "y".repeat(998))));
    }

    #[test]
    fn what_7bit_cannot_carry_is_encoded() {
        assert_eq!(encoding(&"x".repeat(999)), ContentTransferEncoding::QuotedPrintable);
        assert_eq!(encoding(&format!("ok\n{}\nok", "x".repeat(999))), ContentTransferEncoding::QuotedPrintable);
        assert_eq!(encoding("Grüße aus dem März, wie geht es dir?"), ContentTransferEncoding::QuotedPrintable);
        assert!(!fits_7bit("a\0b"), "NUL is not 7bit data (RFC 2045)");
    }
}
