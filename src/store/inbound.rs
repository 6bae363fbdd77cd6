//! What inbound mail needs to know about the delivery its address names:
//! whose it was, what it was, and whether it was answered already.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};

use crate::domain::{DeliveryKind, SubscriberEmail, SubscriberStatus, Track};

/// A delivery that mail came back about, with its subscriber.
#[derive(Debug, Clone)]
pub struct MailedDelivery {
    pub id: i64,
    pub kind: DeliveryKind,
    pub slot: DateTime<Utc>,
    pub track: Option<Track>,
    pub variant: Option<String>,
    pub promise_id: Option<i64>,
    pub subscriber_id: i64,
    pub email: SubscriberEmail,
    pub status: SubscriberStatus,
    /// The nudge has an answer, or the promise the question this mail asked.
    pub answered: bool,
}

/// The delivery `id`, or `None` if it is gone (the subscriber was forgotten).
#[tracing::instrument(skip_all, fields(delivery_id = id))]
pub async fn delivery(db: impl PgExecutor<'_>, id: i64) -> anyhow::Result<Option<MailedDelivery>> {
    let row = sqlx::query!(
        r#"select d.id, d.kind as "kind: DeliveryKind", d.slot, d.track, d.variant, d.promise_id,
                  s.id as subscriber_id, s.email, s.status,
                  (exists(select 1 from answers a where a.delivery_id = d.id)
                   or (d.kind = 'promise_check' and p.check_answer is not null)
                   or (d.kind = 'promise_review' and p.outcome is not null)) as "answered!"
           from deliveries d
           join subscribers s on s.id = d.subscriber_id
           left join promises p on p.id = d.promise_id
           where d.id = $1"#,
        id
    )
    .fetch_optional(db)
    .await
    .context("failed to load a delivery mail came back about")?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(MailedDelivery {
        id: row.id,
        kind: row.kind,
        slot: row.slot,
        track: row.track.as_deref().map(Track::parse).transpose().context("stored track no longer parses")?,
        variant: row.variant,
        promise_id: row.promise_id,
        subscriber_id: row.subscriber_id,
        email: SubscriberEmail::parse(&row.email).context("stored email no longer parses")?,
        status: SubscriberStatus::from_key(&row.status)?,
        answered: row.answered,
    }))
}

/// Whether a "could not read your reply" mail was queued for the
/// subscriber within the last day (database clock).
pub async fn asked_again_within_a_day(conn: &mut PgConnection, subscriber_id: i64) -> anyhow::Result<bool> {
    sqlx::query_scalar!(
        r#"select exists(select 1 from deliveries
                         where subscriber_id = $1 and kind = 'reply_unclear'
                           and slot > now() - interval '1 day') as "asked!""#,
        subscriber_id
    )
    .fetch_one(conn)
    .await
    .context("failed to look for a recent reply_unclear mail")
}
