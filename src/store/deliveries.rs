//! Deliveries: the outbox every email goes through.
//!
//! Lifecycle: `pending` (with a row in `delivery_queue`) → claimed (the queue
//! row gets an owner, attempt + 1 and a lease from the database clock; the
//! delivery stays `pending`) → `sent`, `failed` or `cancelled` (the queue row
//! goes), or back in the queue, unowned, for a retry. Database triggers add
//! and drop queue rows as deliveries are inserted and change status, so
//! writers outside the sender need not know the queue. Queuing is here
//! ([`queue_mail`]; the planner queues in bulk with
//! [`super::planning::write_planned`]); claiming, lease extension and release
//! are in `claims`, and every fenced write of an outcome in `outcomes`.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use crate::domain::DeliveryKind;

mod claims;
mod outcomes;

pub use claims::{Claim, Claimed, Fence, claim_due, extend_leases, release_many, rescue_expired_leases};
pub use outcomes::{
    Retry, SentRow, cancel_claimed, mark_failed, mark_many_sent, mark_sent, release_claimed, retry_later,
};

/// One mail to queue.
#[derive(Debug, Clone, Copy)]
pub struct NewMail {
    pub subscriber_id: i64,
    pub kind: DeliveryKind,
    /// When it should go out; `None` is now, on the database clock.
    pub slot: Option<DateTime<Utc>>,
    pub about: About,
}

impl NewMail {
    /// A mail about the subscriber, due now.
    pub fn now(subscriber_id: i64, kind: DeliveryKind) -> Self {
        Self { subscriber_id, kind, slot: None, about: About::Subscriber }
    }

    /// A mail about the subscriber, due at `slot`.
    pub fn at(subscriber_id: i64, kind: DeliveryKind, slot: DateTime<Utc>) -> Self {
        Self { subscriber_id, kind, slot: Some(slot), about: About::Subscriber }
    }
}

/// What a mail is about, besides its subscriber.
#[derive(Debug, Clone, Copy)]
pub enum About {
    /// Nothing more (confirmation, welcome, keep going, weekly summary).
    Subscriber,
    /// One promise (its two mails).
    Promise(i64),
    /// Another delivery (the nudge or promise mail an unclear reply answered).
    Delivery(i64),
    /// One invitation: the mail goes to the invited address.
    Invitation(i64),
}

/// Queues one mail in the caller's transaction. Idempotent: a mail that is
/// already queued for the same subscriber, kind, track and slot (or the same
/// promise and kind) is refused by the outbox's unique keys, and `None` says
/// so. The planner queues nudges in bulk with [`super::planning::write_planned`].
#[tracing::instrument(skip_all, fields(subscriber_id = mail.subscriber_id, kind = %mail.kind))]
pub async fn queue_mail(conn: &mut PgConnection, mail: NewMail) -> anyhow::Result<Option<i64>> {
    let (mut promise_id, mut about_delivery_id, mut invitation_id) = (None, None, None);
    match mail.about {
        About::Subscriber => {}
        About::Promise(id) => promise_id = Some(id),
        About::Delivery(id) => about_delivery_id = Some(id),
        About::Invitation(id) => invitation_id = Some(id),
    }
    sqlx::query_scalar!(
        r#"insert into deliveries (subscriber_id, kind, promise_id, about_delivery_id, invitation_id, slot, due_at)
           values ($1, $2, $3, $4, $5, coalesce($6, now()), coalesce($6, now()))
           on conflict do nothing
           returning id"#,
        mail.subscriber_id,
        mail.kind as DeliveryKind,
        promise_id,
        about_delivery_id,
        invitation_id,
        mail.slot
    )
    .fetch_optional(conn)
    .await
    .with_context(|| format!("failed to queue a {} mail", mail.kind))
}

/// Mails of `kind` queued for a subscriber since `since`: the per-address
/// limit on fresh links (confirmations are capped per inbox, in
/// `store::requests`).
pub async fn queued_since(
    conn: &mut PgConnection,
    subscriber_id: i64,
    kind: DeliveryKind,
    since: DateTime<Utc>,
) -> anyhow::Result<i64> {
    sqlx::query_scalar!(
        r#"select count(*) as "n!" from deliveries
           where subscriber_id = $1 and kind = $2 and created_at >= $3"#,
        subscriber_id,
        kind as DeliveryKind,
        since
    )
    .fetch_one(conn)
    .await
    .with_context(|| format!("failed to count {kind} mails"))
}

/// Cancels a subscriber's mail that has not been claimed yet. The queue rows
/// go first, under their locks: a row a sender has claimed (or claims while
/// this runs) keeps its owner and is left to that sender, as a claim is
/// already on its way to the relay.
#[tracing::instrument(skip_all, fields(subscriber_id))]
pub async fn cancel_pending(conn: &mut PgConnection, subscriber_id: i64) -> anyhow::Result<u64> {
    let result = sqlx::query!(
        r#"with unclaimed as (
               delete from delivery_queue q using deliveries d
               where d.subscriber_id = $1 and d.status = 'pending' and q.delivery_id = d.id and q.owner is null
               returning q.delivery_id
           )
           update deliveries d set status = 'cancelled', last_error = 'cancelled before sending'
           from unclaimed where d.id = unclaimed.delivery_id"#,
        subscriber_id
    )
    .execute(conn)
    .await
    .context("failed to cancel pending mail")?;
    Ok(result.rows_affected())
}

/// Records a 5.1.x answer: this address gets nothing more.
pub async fn suppress_address(conn: &mut PgConnection, email: &str, code: i16, reason: &str) -> anyhow::Result<()> {
    sqlx::query!(
        r#"insert into suppressed_addresses (email, smtp_code, reason) values (lower($1), $2, $3)
           on conflict (email) do nothing"#,
        email,
        code,
        reason
    )
    .execute(conn)
    .await
    .context("failed to suppress an address")?;
    Ok(())
}

/// Singleton jobs (the planning sweep, the lease rescue) run on one instance
/// at a time: the caller holds this session-level advisory lock on its own
/// connection for the length of the job. A crashed holder's lock goes with
/// its connection, and an instance that finds it taken just skips this tick
/// (the holder is doing the same work), so no work is ever dropped.
pub async fn try_lock_singleton(conn: &mut PgConnection, key: i64) -> anyhow::Result<bool> {
    sqlx::query_scalar!(r#"select pg_try_advisory_lock($1) as "locked!""#, key)
        .fetch_one(conn)
        .await
        .context("failed to take a singleton lock")
}

pub async fn unlock_singleton(conn: &mut PgConnection, key: i64) -> anyhow::Result<()> {
    sqlx::query_scalar!(r#"select pg_advisory_unlock($1) as "unlocked!""#, key)
        .fetch_one(conn)
        .await
        .context("failed to release a singleton lock")?;
    Ok(())
}
