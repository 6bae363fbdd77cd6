//! Transports: where rendered emails go, built once at start-up.
//!
//! `file` writes each message as an `.eml` file (plus a small `.json` summary
//! for the `/outbox` page) so that someone trying tend out can read and click
//! everything without an SMTP server. `smtp` speaks to a relay through
//! lettre's pooled async transport. Both return a `SendOutcome`, which tells
//! the sender whether to record, retry or give up.

use std::path::{Path, PathBuf};

use anyhow::Context;
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use super::compose::OutgoingEmail;
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
    /// The connection broke or timed out after the message may have been
    /// accepted: retry with the same Message-ID and count it.
    Unknown { reason: String },
}

pub enum Mailer {
    File { dir: PathBuf, from: Mailbox, list_id: String },
    Smtp { transport: AsyncSmtpTransport<Tokio1Executor>, from: Mailbox, list_id: String },
}

impl Mailer {
    pub fn from_settings(settings: &MailSettings) -> anyhow::Result<Self> {
        let from: Mailbox = settings.from.parse().with_context(|| {
            format!("mail.from: {:?} is not a mailbox such as \"tend <nudges@example.org>\"", settings.from)
        })?;
        anyhow::ensure!(!settings.list_id.contains(['\r', '\n']), "mail.list_id: must be one line");
        let list_id = settings.list_id.clone();
        Ok(match settings.transport {
            MailTransportKind::File => Mailer::File { dir: settings.outbox_dir.clone(), from, list_id },
            MailTransportKind::Smtp => Mailer::Smtp { transport: smtp_transport(settings)?, from, list_id },
        })
    }

    /// The domain for Message-IDs: the From address's.
    pub fn from_domain(&self) -> String {
        let (Mailer::File { from, .. } | Mailer::Smtp { from, .. }) = self;
        from.email.domain().to_owned()
    }

    pub async fn send(&self, email: &OutgoingEmail) -> SendOutcome {
        let message = match self.build(email) {
            Ok(message) => message,
            Err(err) => {
                return SendOutcome::Permanent { code: 0, reason: format!("message could not be built: {err:#}") };
            }
        };
        match self {
            Mailer::File { dir, .. } => write_to_outbox(dir, email, &message).await,
            Mailer::Smtp { transport, .. } => match transport.send(message).await {
                Ok(response) => SendOutcome::Sent {
                    code: u16::from(response.code()),
                    reply: format!("{} {}", response.code(), response.message().collect::<Vec<_>>().join(" ")),
                },
                Err(err) => classify(&err),
            },
        }
    }

    fn build(&self, email: &OutgoingEmail) -> anyhow::Result<Message> {
        let (Mailer::File { from, list_id, .. } | Mailer::Smtp { from, list_id, .. }) = self;
        let to: Mailbox = email.to.parse().context("recipient address")?;
        let message = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(email.subject.clone())
            .message_id(Some(email.message_id.clone()))
            .header(ListUnsubscribe(format!("<{}>", email.unsubscribe_url)))
            .header(ListUnsubscribePost)
            .header(ListId(list_id.clone()))
            .header(AutoSubmitted)
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder().header(ContentType::TEXT_PLAIN).body(normalize_newlines(&email.text)),
                    )
                    .singlepart(
                        SinglePart::builder().header(ContentType::TEXT_HTML).body(normalize_newlines(&email.html)),
                    ),
            )?;
        Ok(message)
    }
}

fn smtp_transport(settings: &MailSettings) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let mut url = settings.smtp_url.expose_secret().to_owned();
    // lettre reads the STARTTLS policy from the URL; add ours unless the URL says.
    if url.starts_with("smtp://") && !url.contains("tls=") {
        let policy = match settings.starttls {
            StartTls::None => None,
            StartTls::Opportunistic => Some("opportunistic"),
            StartTls::Required => Some("required"),
        };
        if let Some(policy) = policy {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str("tls=");
            url.push_str(policy);
        }
    }
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
        .map_err(|e| anyhow::anyhow!("mail.smtp_url: not a valid smtp:// or smtps:// URL ({e})"))?
        .timeout(Some(settings.timeout.as_std()))
        .pool_config(PoolConfig::new().max_size(settings.pool_size.max(1)));
    if !settings.smtp_username.is_empty() {
        builder = builder.credentials(Credentials::new(
            settings.smtp_username.clone(),
            settings.smtp_password.expose_secret().to_owned(),
        ));
    }
    Ok(builder.build())
}

/// Maps lettre's error to an outcome. A reply code decides when there is one;
/// without one, a failure to connect is transient and anything else (the
/// connection broke mid-transaction) may have delivered, so it is unknown.
fn classify(err: &lettre::transport::smtp::Error) -> SendOutcome {
    let code = err.status().map(u16::from);
    let reason = format!("{err}");
    match code {
        Some(code) if err.is_permanent() => SendOutcome::Permanent { code, reason },
        Some(code) if err.is_transient() => SendOutcome::Transient { code: Some(code), reason },
        _ if is_connect_failure(err) => SendOutcome::Transient { code: None, reason },
        _ => SendOutcome::Unknown { reason },
    }
}

fn is_connect_failure(err: &lettre::transport::smtp::Error) -> bool {
    use std::error::Error as _;
    let mut source = err.source();
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            return matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionRefused
                    | std::io::ErrorKind::AddrNotAvailable
                    | std::io::ErrorKind::NotFound
            );
        }
        source = cause.source();
    }
    err.is_client() || err.is_tls()
}

/// Bare CR or LF in a body is a smuggling risk (RUSTSEC-2026-0561, fixed only
/// in lettre 0.11.24): every line ending becomes CRLF before lettre sees it.
pub fn normalize_newlines(body: &str) -> String {
    body.replace("\r\n", "\n").replace('\r', "\n").replace('\n', "\r\n")
}

/// The `.json` written beside each `.eml` for the `/outbox` page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutboxEntry {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub message_id: String,
    pub written_at: chrono::DateTime<chrono::Utc>,
}

async fn write_to_outbox(dir: &Path, email: &OutgoingEmail, message: &Message) -> SendOutcome {
    let written_at = chrono::Utc::now();
    let stem = format!(
        "{}-{}",
        written_at.format("%Y%m%dT%H%M%S%.6fZ"),
        email.message_id.trim_matches(['<', '>']).split('@').next().unwrap_or("mail")
    );
    let entry = OutboxEntry {
        to: email.to.clone(),
        subject: email.subject.clone(),
        text: email.text.clone(),
        message_id: email.message_id.clone(),
        written_at,
    };
    let result = async {
        tokio::fs::create_dir_all(dir).await?;
        let json = serde_json::to_vec_pretty(&entry).map_err(std::io::Error::other)?;
        write_atomically(&dir.join(format!("{stem}.json")), &json).await?;
        // The .eml goes last: its presence means the message is complete.
        write_atomically(&dir.join(format!("{stem}.eml")), &message.formatted()).await
    }
    .await;
    match result {
        Ok(()) => SendOutcome::Sent { code: 250, reply: format!("written to {}", dir.display()) },
        Err(err) => SendOutcome::Transient { code: None, reason: format!("cannot write to the outbox folder: {err}") },
    }
}

async fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    tokio::fs::write(&tmp, bytes).await?;
    tokio::fs::rename(&tmp, path).await
}

macro_rules! simple_header {
    ($ty:ident, $name:literal, $value:expr) => {
        impl Header for $ty {
            fn name() -> HeaderName {
                HeaderName::new_from_ascii_str($name)
            }

            fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
                let construct: fn(&str) -> Self = $value;
                Ok(construct(s))
            }

            fn display(&self) -> HeaderValue {
                HeaderValue::new(Self::name(), self.value())
            }
        }
    };
}

/// `List-Unsubscribe: <https://…/unsubscribe/TOKEN>` (RFC 2369).
#[derive(Clone)]
struct ListUnsubscribe(String);
/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
#[derive(Clone)]
struct ListUnsubscribePost;
/// `List-Id` (RFC 2919).
#[derive(Clone)]
struct ListId(String);
/// `Auto-Submitted: auto-generated` (RFC 3834): no auto-replies, please.
#[derive(Clone)]
struct AutoSubmitted;

impl ListUnsubscribe {
    fn value(&self) -> String {
        self.0.clone()
    }
}
impl ListUnsubscribePost {
    fn value(&self) -> String {
        "List-Unsubscribe=One-Click".into()
    }
}
impl ListId {
    fn value(&self) -> String {
        self.0.clone()
    }
}
impl AutoSubmitted {
    fn value(&self) -> String {
        "auto-generated".into()
    }
}

simple_header!(ListUnsubscribe, "List-Unsubscribe", |s| ListUnsubscribe(s.to_owned()));
simple_header!(ListUnsubscribePost, "List-Unsubscribe-Post", |_| { ListUnsubscribePost });
simple_header!(ListId, "List-Id", |s| ListId(s.to_owned()));
simple_header!(AutoSubmitted, "Auto-Submitted", |_| AutoSubmitted);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_carriage_returns_and_line_feeds_become_crlf() {
        assert_eq!(normalize_newlines("a\rb\nc\r\nd"), "a\r\nb\r\nc\r\nd");
        assert_eq!(normalize_newlines("\r\n.\r\n"), "\r\n.\r\n");
        assert_eq!(normalize_newlines("x\n.\ny"), "x\r\n.\r\ny");
    }
}
