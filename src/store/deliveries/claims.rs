//! Claims: taking due deliveries for one sender, keeping their leases, and
//! giving them back.
//!
//! The queue is `delivery_queue`, one narrow row per pending delivery. A claim
//! updates only that row: `attempt + 1`, the owner and a lease that ends on
//! the database clock; the wide `deliveries` row is read, not written, until
//! the outcome. Every later write names the claim it belongs to (`Fence`: id,
//! attempt, owner); if the lease expired and another sender took the row,
//! the write matches nothing and changes nothing.
//!
//! The claimed row is parsed here, once: the rest of tend sees a
//! [`Claimed`] made of domain types, or an [`Claim::Unreadable`] row whose
//! stored values no longer parse (cancelled by the sender with the reason).

use anyhow::Context;
use chrono::{DateTime, NaiveTime, Utc};
use sqlx::PgPool;

use crate::domain::mail::Recipient;
use crate::domain::{
    DeliveryKind, LinkGeneration, Locale, SubscriberEmail, SubscriberStatus, TimeOfDay, TimeZone, Track,
};

/// A claimed delivery with what the sender needs to load, address and fence it.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub attempt: i32,
    pub kind: DeliveryKind,
    /// The track of a nudge (and of a sample nudge).
    pub track: Option<Track>,
    pub variant: Option<String>,
    /// The promise a promise mail is about.
    pub promise_id: Option<i64>,
    /// The delivery a "could not read your reply" mail is about.
    pub about_delivery_id: Option<i64>,
    /// The invitation an invitation mail carries; `to` is then the invited
    /// address, and `status` the inviter's.
    pub invitation_id: Option<i64>,
    pub slot: DateTime<Utc>,
    /// The random part of the Message-ID, stable across attempts.
    pub message_key: String,
    pub to: Recipient,
    pub send_time: TimeOfDay,
    pub status: SubscriberStatus,
    /// A relay answered 5.1.x for this address earlier: send nothing.
    pub suppressed: bool,
}

/// One claimed row: parsed, or stored values that no longer parse.
#[derive(Debug, Clone)]
pub enum Claim {
    Ready(Box<Claimed>),
    Unreadable { id: i64, attempt: i32, reason: String },
}

impl Claim {
    pub fn id(&self) -> i64 {
        match self {
            Claim::Ready(claimed) => claimed.id,
            Claim::Unreadable { id, .. } => *id,
        }
    }

    pub fn attempt(&self) -> i32 {
        match self {
            Claim::Ready(claimed) => claimed.attempt,
            Claim::Unreadable { attempt, .. } => *attempt,
        }
    }
}

struct ClaimRow {
    id: i64,
    attempt: i32,
    kind: DeliveryKind,
    track: Option<String>,
    variant: Option<String>,
    promise_id: Option<i64>,
    about_delivery_id: Option<i64>,
    invitation_id: Option<i64>,
    slot: DateTime<Utc>,
    message_key: String,
    subscriber_id: i64,
    email: String,
    timezone: String,
    send_time: NaiveTime,
    status: String,
    locale: String,
    link_generation: i32,
    discreet: bool,
    suppressed: bool,
}

impl From<ClaimRow> for Claim {
    fn from(row: ClaimRow) -> Self {
        let (id, attempt) = (row.id, row.attempt);
        match parse(row) {
            Ok(claimed) => Claim::Ready(Box::new(claimed)),
            Err(err) => Claim::Unreadable { id, attempt, reason: format!("{err:#}") },
        }
    }
}

fn parse(row: ClaimRow) -> anyhow::Result<Claimed> {
    let track = row.track.as_deref().map(Track::parse).transpose().context("stored track no longer parses")?;
    Ok(Claimed {
        id: row.id,
        attempt: row.attempt,
        kind: row.kind,
        track,
        variant: row.variant,
        promise_id: row.promise_id,
        about_delivery_id: row.about_delivery_id,
        invitation_id: row.invitation_id,
        slot: row.slot,
        message_key: row.message_key,
        to: Recipient {
            subscriber_id: row.subscriber_id,
            email: SubscriberEmail::parse(&row.email).context("stored email no longer parses")?,
            // A locale tend no longer knows reads in English rather than not at all.
            locale: Locale::or_en(&row.locale),
            zone: TimeZone::parse(&row.timezone).context("stored time zone no longer parses")?,
            link_generation: LinkGeneration::from_stored(row.link_generation)?,
            discreet: row.discreet,
        },
        send_time: TimeOfDay::from_naive(row.send_time),
        status: SubscriberStatus::from_key(&row.status)?,
        suppressed: row.suppressed,
    })
}

/// Claims up to `limit` due deliveries for `owner`. The inner select sits in a
/// CTE with `for update skip locked`, so concurrent senders never claim the
/// same row and the planner cannot turn it into a join that updates more rows
/// than the limit. Lease expiry uses the database clock.
#[tracing::instrument(skip_all, fields(owner, limit))]
pub async fn claim_due(pool: &PgPool, owner: &str, limit: i64, lease: chrono::Duration) -> anyhow::Result<Vec<Claim>> {
    let lease_secs = lease.num_milliseconds() as f64 / 1000.0;
    let rows = sqlx::query_as!(
        ClaimRow,
        r#"with locked as (
               select delivery_id from delivery_queue
               where owner is null and due_at <= now()
               order by due_at
               limit $2
               for update skip locked
           ),
           claimed as (
               update delivery_queue q
               set attempt = q.attempt + 1, owner = $1, lease_expires_at = now() + make_interval(secs => $3)
               from locked where q.delivery_id = locked.delivery_id
               returning q.delivery_id, q.attempt
           )
           select d.id, c.attempt, d.kind as "kind: DeliveryKind", d.track, d.variant, d.promise_id,
                  d.about_delivery_id, d.invitation_id, d.slot, d.message_key::text as "message_key!",
                  s.id as subscriber_id,
                  coalesce((select i.email from partner_invitations i where i.id = d.invitation_id), s.email)
                      as "email!",
                  s.timezone, s.send_time, s.status, s.locale, s.link_generation,
                  s.discreet and d.invitation_id is null as "discreet!",
                  exists(select 1 from suppressed_addresses x where x.email = lower(coalesce(
                      (select i.email from partner_invitations i where i.id = d.invitation_id), s.email)))
                      as "suppressed!"
           from claimed c join deliveries d on d.id = c.delivery_id join subscribers s on s.id = d.subscriber_id"#,
        owner,
        limit,
        lease_secs
    )
    .fetch_all(pool)
    .await
    .context("failed to claim due deliveries")?;
    Ok(rows.into_iter().map(Claim::from).collect())
}

/// The fence every post-claim write carries.
#[derive(Debug, Clone, Copy)]
pub struct Fence<'a> {
    pub id: i64,
    pub attempt: i32,
    pub owner: &'a str,
}

/// Extends the leases of claims this owner still holds (queued or on the
/// wire) to `now() + lease`, fenced like every other write. Returns the ids
/// extended. A row locked by an outcome write is skipped, not waited for:
/// that row is being settled, and waiting deadlocked with the recorder's
/// group write, which locks its rows in another order (seen under load:
/// PostgreSQL broke the cycle after `deadlock_timeout`, stalling the
/// recorder a second). A claim missing from the answer was lost, unless a
/// worker has it (see `sender::held`).
pub async fn extend_leases(
    pool: &PgPool,
    owner: &str,
    held: &[(i64, i32)],
    lease: chrono::Duration,
) -> anyhow::Result<Vec<i64>> {
    let (ids, attempts): (Vec<i64>, Vec<i32>) = held.iter().copied().unzip();
    let lease_secs = lease.num_milliseconds() as f64 / 1000.0;
    sqlx::query_scalar!(
        r#"with mine as (
               select q.delivery_id from delivery_queue q
               join unnest($2::bigint[], $3::int[]) as v(id, attempt) on q.delivery_id = v.id and q.attempt = v.attempt
               where q.owner = $1
               for update of q skip locked
           )
           update delivery_queue q set lease_expires_at = now() + make_interval(secs => $4)
           from mine where q.delivery_id = mine.delivery_id
           returning q.delivery_id"#,
        owner,
        &ids,
        &attempts,
        lease_secs
    )
    .fetch_all(pool)
    .await
    .context("failed to extend leases")
}

/// Gives back many unstarted claims at once (shutdown), like [`release_claimed`].
pub async fn release_many(pool: &PgPool, owner: &str, claims: &[(i64, i32)]) -> anyhow::Result<u64> {
    let (ids, attempts): (Vec<i64>, Vec<i32>) = claims.iter().copied().unzip();
    let result = sqlx::query!(
        r#"update delivery_queue q
           set attempt = q.attempt - 1, owner = null, lease_expires_at = null
           from unnest($2::bigint[], $3::int[]) as v(id, attempt)
           where q.delivery_id = v.id and q.attempt = v.attempt and q.owner = $1"#,
        owner,
        &ids,
        &attempts
    )
    .execute(pool)
    .await
    .context("failed to release claimed mail")?;
    Ok(result.rows_affected())
}

/// Returns expired claims to the queue, noting why on the delivery. The lease
/// condition is re-checked on each row under its lock, so a claim completed
/// a moment ago is left alone.
#[tracing::instrument(skip_all)]
pub async fn rescue_expired_leases(pool: &PgPool) -> anyhow::Result<u64> {
    let result = sqlx::query!(
        r#"with rescued as (
               update delivery_queue set owner = null, lease_expires_at = null
               where owner is not null and lease_expires_at < now()
               returning delivery_id
           )
           update deliveries d set last_error = 'lease expired; claimed again'
           from rescued where d.id = rescued.delivery_id"#
    )
    .execute(pool)
    .await
    .context("failed to rescue expired leases")?;
    Ok(result.rows_affected())
}
