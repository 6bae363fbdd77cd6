//! Forgetting a subscriber: the right to erasure, in one transaction.
//!
//! Everything that names the person goes (subscriber row, tracks, every
//! delivery including queued and in-flight ones with the relay replies kept
//! on them, answers, promises, the address's entry in the suppression
//! list, a partner link (both sides), the invitations they sent and those
//! sent to their address); every link to them stops working, since a link needs the row. The
//! caller then erases what lies outside the database: the `file`
//! transport's copies (`mail::outbox::erase`). What stays is one
//! anonymous line in `erasures` (when, who asked, how many rows), so an
//! operator can show that an erasure happened without keeping whom it was
//! about. A sender still holding a claim on a deleted delivery finds nothing
//! to update afterwards: its writes are fenced on the row's id.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::domain::SubscriberEmail;
use crate::store::{self, admin::ErasedRows};

/// Who asked for the erasure; recorded in the audit line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErasureRequester {
    /// `tend subscriber forget`.
    Operator,
    /// The subscriber, from their preferences page.
    Subscriber,
}

impl ErasureRequester {
    pub fn key(self) -> &'static str {
        match self {
            ErasureRequester::Operator => "operator",
            ErasureRequester::Subscriber => "subscriber",
        }
    }
}

/// What one erasure removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erasure {
    pub erased_at: DateTime<Utc>,
    pub rows: ErasedRows,
    /// The address that was erased, for what lies outside the database
    /// (the `file` transport's outbox copies). Never stored or logged.
    pub email: SubscriberEmail,
}

/// Erases one subscriber. `None` if they do not exist (already forgotten):
/// then nothing is written, so repeating a request leaves no second line.
#[tracing::instrument(skip_all, fields(subscriber_id, requested_by = requested_by.key()))]
pub async fn forget(
    pool: &PgPool,
    subscriber_id: i64,
    requested_by: ErasureRequester,
) -> anyhow::Result<Option<Erasure>> {
    let mut tx = pool.begin().await.context("failed to start a transaction")?;
    // Lock first so a concurrent answer or planning round finishes before we delete.
    let Some(subscriber) = store::subscribers::lock(&mut tx, subscriber_id).await? else {
        return Ok(None);
    };
    store::partners::unlink(&mut tx, subscriber_id).await?;
    store::partners::forget_invitations_to(&mut tx, subscriber.email.as_str()).await?;
    let Some(rows) = store::admin::delete_subscriber(&mut tx, subscriber_id).await? else {
        return Ok(None);
    };
    store::admin::delete_suppression(&mut tx, subscriber.email.as_str()).await?;
    let erased_at = store::admin::record_erasure(&mut tx, requested_by.key(), rows).await?;
    tx.commit().await.context("failed to commit an erasure")?;
    Ok(Some(Erasure { erased_at, rows, email: subscriber.email }))
}
