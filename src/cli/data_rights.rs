//! `tend subscriber export|forget EMAIL`: a subscriber's data rights.
//!
//! Export prints, as JSON on stdout, every row tend holds about one person:
//! the subscriber, their tracks, every delivery and every answer, and of a
//! partner link only this side's facts (linked, their own signal switch;
//! never the partner's address or data). Forget
//! erases all of it in one transaction and keeps only an anonymous count
//! (`crate::subscriptions::forget`), then deletes the `file` transport's
//! copies of mail to the address (`mail::outbox::erase`). Counts go to
//! stderr, so stdout stays a clean JSON document that can be redirected to
//! a file.

use std::path::Path;

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;

use super::UsageError;
use crate::domain::SubscriberEmail;
use crate::mail::outbox;
use crate::sealing::Sealer;
use crate::store::{self, admin};
use crate::subscriptions::{self, ErasureRequester};

/// The export document. `format` lets a reader recognise it and its version.
#[derive(Debug, Serialize)]
struct Export {
    format: &'static str,
    exported_at: DateTime<Utc>,
    subscriber: admin::SubscriberRecord,
    tracks: Vec<admin::TrackRecord>,
    deliveries: Vec<admin::DeliveryRecord>,
    answers: Vec<admin::AnswerRecord>,
    /// Set if a relay reported the address as non-existent.
    suppression: Option<admin::SuppressionRecord>,
    /// Promises with their words unsealed: the export is for the person.
    promises: Vec<PromiseExport>,
    partner: PartnerExport,
}

/// A partner link as this side sees it on their own page.
#[derive(Debug, Serialize)]
struct PartnerExport {
    /// This side's half of a link exists (whether the other joined is theirs).
    linked: bool,
    /// This side's own switch for the shared signal.
    shared_signal: bool,
    /// When this subscriber asked for invitations, without the addresses.
    invitations_sent: Vec<DateTime<Utc>>,
}

#[derive(Debug, Serialize)]
struct PromiseExport {
    /// The words, or why they cannot be opened (changed, moved, or sealed
    /// with a key that is no longer configured).
    text: String,
    due_at: DateTime<Utc>,
    check_answer: Option<&'static str>,
    outcome: Option<&'static str>,
}

pub async fn export(pool: &PgPool, sealer: &Sealer, email: &str) -> anyhow::Result<()> {
    let id = find(pool, email).await?;
    let subscriber = admin::subscriber_record(pool, id).await?.with_context(|| format!("{email} vanished"))?;
    let tracks = admin::track_records(pool, id).await?;
    let deliveries = admin::delivery_records(pool, id).await?;
    let answers = admin::answer_records(pool, id).await?;
    let suppression = admin::suppression_record(pool, &subscriber.email).await?;
    let promises = store::promises::list(pool, id)
        .await?
        .into_iter()
        .map(|p| PromiseExport {
            text: sealer.open(&p.sealed, p.binding()).unwrap_or_else(|err| format!("[cannot be opened: {err}]")),
            due_at: p.due_at,
            check_answer: p.check_answer.map(|a| a.key()),
            outcome: p.outcome.map(|o| o.key()),
        })
        .collect::<Vec<_>>();
    let side = store::partners::side(pool, id).await?;
    let partner = PartnerExport {
        linked: side.is_some(),
        shared_signal: side.is_some_and(|s| s.signal),
        invitations_sent: store::partners::invitations_sent(pool, id).await?,
    };
    let counts =
        format!("1 subscriber, {} tracks, {} deliveries, {} answers", tracks.len(), deliveries.len(), answers.len());
    let document = Export {
        format: "tend-subscriber-export/1",
        exported_at: Utc::now(),
        subscriber,
        tracks,
        deliveries,
        answers,
        suppression,
        promises,
        partner,
    };
    let json = serde_json::to_string_pretty(&document).context("failed to write the export")?;
    println!("{json}");
    eprintln!("exported {email}: {counts}");
    Ok(())
}

pub async fn forget(pool: &PgPool, outbox_dir: &Path, email: &str) -> anyhow::Result<()> {
    let id = find(pool, email).await?;
    let erasure = subscriptions::forget(pool, id, ErasureRequester::Operator)
        .await?
        .ok_or_else(|| UsageError(format!("no subscriber with address {email}")))?;
    let files = outbox::erase(outbox_dir, erasure.email.as_str()).await.with_context(|| {
        format!("the database is erased, but the outbox copies in {} are not", outbox_dir.display())
    })?;
    let rows = erasure.rows;
    println!(
        "forgot {email}: deleted 1 subscriber, {} tracks, {} deliveries, {} answers, {files} outbox files; \
         an anonymous erasure record dated {} remains",
        rows.tracks,
        rows.deliveries,
        rows.answers,
        erasure.erased_at.format("%Y-%m-%d %H:%M:%S UTC")
    );
    Ok(())
}

/// The subscriber's id, or a usage error naming the address.
async fn find(pool: &PgPool, email: &str) -> anyhow::Result<i64> {
    let parsed = SubscriberEmail::parse(email).map_err(|e| UsageError(format!("{email:?}: {e}")))?;
    let subscriber = store::subscribers::find_by_email(pool, &parsed)
        .await?
        .ok_or_else(|| UsageError(format!("no subscriber with address {parsed}")))?;
    Ok(subscriber.id)
}
