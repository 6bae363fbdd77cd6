//! `tend send-test EMAIL`: one sample nudge through the configured transport.
//!
//! The quickest way to prove a relay, its credentials and TLS settings work
//! before real subscribers depend on them. The mail goes straight to the
//! transport, not through the outbox table, so the database is not needed and
//! nothing is retried: the command reports the relay's reply and exits 0 only
//! if the relay accepted the message.

use std::sync::Arc;

use chrono::Utc;

use super::UsageError;
use crate::config::Settings;
use crate::domain::mail::{DeliveryRef, MailBody, MailContext, Recipient};
use crate::domain::{LinkGeneration, LinkSigner, Locale, SubscriberEmail, TimeZone, Track};
use crate::links::Links;
use crate::mail::notes::OperatorLines;
use crate::mail::{Catalog, Composer, Mailer, SendOutcome};

/// Links in the sample carry subject 0, which names no subscriber or delivery,
/// so pressing them shows "this link is not valid" and changes nothing.
const NOBODY: i64 = 0;

pub async fn run(settings: &Settings, email: &str, track: Option<&str>) -> anyhow::Result<()> {
    let usage = |e: &dyn std::fmt::Display| UsageError(e.to_string());
    let to = SubscriberEmail::parse(email).map_err(|e| usage(&format!("{email:?}: {e}")))?;
    let track = track.map(Track::parse).transpose().map_err(|e| usage(&e))?.unwrap_or(Track::CheckIn);
    let catalog = Catalog::load(&settings.catalog.path).map_err(|e| usage(&format!("{e:#}")))?;
    let mailer = Mailer::from_settings(&settings.mail).map_err(|e| usage(&format!("{e:#}")))?;
    let links = Links::new(settings.public_url(), LinkSigner::new(&settings.security.link_keys)?);
    let lines = OperatorLines::from(&settings.content);
    // The same envelope sender and Reply-To as real mail, so the test also
    // checks the bounce domain's SPF record.
    let announced = settings.inbound.announced_domain(&settings.mail.from)?;
    let composer = Composer::new(links, Arc::new(catalog), lines, &mailer.from_domain()).with_inbound(announced);

    let variant = composer.catalog().next_variant(&Locale::en(), track, None).variant.clone();
    let sample = MailContext {
        delivery: DeliveryRef {
            id: NOBODY,
            slot: Utc::now(),
            message_key: format!("test-{:032x}", rand::random::<u128>()),
        },
        to: Recipient {
            subscriber_id: NOBODY,
            email: to.clone(),
            locale: Locale::en(),
            zone: TimeZone::UTC,
            link_generation: LinkGeneration::FIRST,
            discreet: false,
        },
        body: MailBody::Nudge { track, variant },
    };
    let mut message = composer.compose(&sample);
    message.subject = format!("[tend test] {}", message.subject);

    let via = describe_transport(settings);
    eprintln!("sending a sample {track} nudge to {to} via {via}");
    match mailer.send(&message).await {
        SendOutcome::Sent { reply, .. } => {
            println!("sent: {reply}");
            println!("message-id: {}", message.message_id);
            Ok(())
        }
        SendOutcome::Transient { code, reason } => {
            let code = code.map_or_else(String::new, |c| format!(" {c}"));
            anyhow::bail!("not sent, temporary failure{code} (a retry may work): {reason}")
        }
        SendOutcome::Permanent { code, reason } => anyhow::bail!("not sent, refused {code}: {reason}"),
        SendOutcome::Unknown { reason } => {
            anyhow::bail!("outcome unknown: the connection broke after the message may have been accepted: {reason}")
        }
    }
}

/// Where the message goes, without credentials.
fn describe_transport(settings: &Settings) -> String {
    use secrecy::ExposeSecret;
    match settings.mail.transport {
        crate::config::MailTransportKind::File => format!("the outbox folder {}", settings.mail.outbox_dir.display()),
        crate::config::MailTransportKind::Smtp => crate::config::redacted_url(settings.mail.smtp_url.expose_secret()),
    }
}
