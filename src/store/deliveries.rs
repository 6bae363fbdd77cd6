//! Deliveries: the outbox every email goes through.
//!
//! Lifecycle: `pending` → claimed as `sending` (owner, attempt + 1, lease from
//! the database clock) → `sent`, `failed`, back to `pending` for a retry, or
//! `cancelled`. Every write after a claim is fenced on (id, attempt, owner): a
//! worker whose lease expired and was rescued finds zero rows to update and
//! changes nothing.

use anyhow::Context;
use chrono::{DateTime, NaiveTime, Utc};
use sqlx::{PgConnection, PgExecutor, PgPool};

use crate::domain::{DeliveryKind, Track};

/// Queues the double opt-in mail, due now.
#[tracing::instrument(skip_all, fields(subscriber_id))]
pub async fn insert_confirmation(conn: &mut PgConnection, subscriber_id: i64) -> anyhow::Result<i64> {
    sqlx::query_scalar!(
        r#"insert into deliveries (subscriber_id, kind, slot, due_at)
           values ($1, 'confirm', now(), now())
           returning id"#,
        subscriber_id
    )
    .fetch_one(conn)
    .await
    .context("failed to queue a confirmation mail")
}

/// Queues the welcome mail, due now; called in the transaction that
/// confirms the subscription.
#[tracing::instrument(skip_all, fields(subscriber_id))]
pub async fn insert_welcome(conn: &mut PgConnection, subscriber_id: i64) -> anyhow::Result<i64> {
    sqlx::query_scalar!(
        r#"insert into deliveries (subscriber_id, kind, slot, due_at)
           values ($1, 'welcome', now(), now())
           returning id"#,
        subscriber_id
    )
    .fetch_one(conn)
    .await
    .context("failed to queue a welcome mail")
}

/// Queues a sample nudge for `tend send-test`.
pub async fn insert_test(
    conn: &mut PgConnection,
    subscriber_id: i64,
    track: Track,
    variant: &str,
) -> anyhow::Result<i64> {
    sqlx::query_scalar!(
        r#"insert into deliveries (subscriber_id, kind, track, variant, slot, due_at)
           values ($1, 'test', $2, $3, now(), now())
           returning id"#,
        subscriber_id,
        track.key(),
        variant
    )
    .fetch_one(conn)
    .await
    .context("failed to queue a test mail")
}

/// Confirmation mails queued for a subscriber since `since` (rate limit).
pub async fn confirmations_since(
    conn: &mut PgConnection,
    subscriber_id: i64,
    since: DateTime<Utc>,
) -> anyhow::Result<i64> {
    sqlx::query_scalar!(
        r#"select count(*) as "n!" from deliveries
           where subscriber_id = $1 and kind = 'confirm' and created_at >= $2"#,
        subscriber_id,
        since
    )
    .fetch_one(conn)
    .await
    .context("failed to count confirmation mails")
}

/// Cancels a subscriber's mail that has not been claimed yet.
#[tracing::instrument(skip_all, fields(subscriber_id))]
pub async fn cancel_pending(conn: &mut PgConnection, subscriber_id: i64) -> anyhow::Result<u64> {
    let result = sqlx::query!(
        r#"update deliveries set status = 'cancelled', last_error = 'cancelled before sending'
           where subscriber_id = $1 and status = 'pending'"#,
        subscriber_id
    )
    .execute(conn)
    .await
    .context("failed to cancel pending mail")?;
    Ok(result.rows_affected())
}

/// A claimed delivery with what the sender needs to render and address it.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub attempt: i32,
    pub kind: String,
    pub track: Option<String>,
    pub variant: Option<String>,
    pub slot: DateTime<Utc>,
    /// The random part of the Message-ID, stable across attempts.
    pub message_key: String,
    pub subscriber_id: i64,
    pub email: String,
    pub timezone: String,
    pub send_time: NaiveTime,
    pub subscriber_status: String,
    /// The subscriber's locale tag; the composer falls back to `en`.
    pub locale: String,
    /// A relay answered 5.1.x for this address earlier: send nothing.
    pub suppressed: bool,
}

impl Claimed {
    pub fn kind(&self) -> anyhow::Result<DeliveryKind> {
        DeliveryKind::from_key(&self.kind)
    }
}

/// Claims up to `limit` due deliveries for `owner`. The inner select sits in a
/// CTE with `for update skip locked`, so concurrent senders never claim the
/// same row and the planner cannot turn it into a join that updates more rows
/// than the limit. Lease expiry uses the database clock.
#[tracing::instrument(skip_all, fields(owner, limit))]
pub async fn claim_due(
    pool: &PgPool,
    owner: &str,
    limit: i64,
    lease: chrono::Duration,
) -> anyhow::Result<Vec<Claimed>> {
    let lease_secs = lease.num_milliseconds() as f64 / 1000.0;
    sqlx::query_as!(
        Claimed,
        r#"with picked as (
               select id from deliveries
               where status = 'pending' and due_at <= now()
               order by due_at
               limit $2
               for update skip locked
           )
           update deliveries d
           set status = 'sending', attempt = d.attempt + 1, owner = $1,
               lease_expires_at = now() + make_interval(secs => $3)
           from picked, subscribers s
           where d.id = picked.id and s.id = d.subscriber_id
           returning d.id, d.attempt, d.kind, d.track, d.variant, d.slot, d.message_key::text as "message_key!",
                     s.id as subscriber_id, s.email, s.timezone, s.send_time, s.status as subscriber_status, s.locale,
                     exists(select 1 from suppressed_addresses x where x.email = lower(s.email)) as "suppressed!""#,
        owner,
        limit,
        lease_secs
    )
    .fetch_all(pool)
    .await
    .context("failed to claim due deliveries")
}

/// The fence every post-claim write carries.
#[derive(Debug, Clone, Copy)]
pub struct Fence<'a> {
    pub id: i64,
    pub attempt: i32,
    pub owner: &'a str,
}

/// Records a 2xx. Returns false if the claim was lost.
pub async fn mark_sent(db: impl PgExecutor<'_>, fence: Fence<'_>, code: i16, reply: &str) -> anyhow::Result<bool> {
    let result = sqlx::query!(
        r#"update deliveries
           set status = 'sent', sent_at = now(), smtp_code = $4, last_error = $5, owner = null, lease_expires_at = null
           where id = $1 and attempt = $2 and owner = $3 and status = 'sending'"#,
        fence.id,
        fence.attempt,
        fence.owner,
        code,
        reply
    )
    .execute(db)
    .await
    .context("failed to record a sent mail")?;
    Ok(result.rows_affected() == 1)
}

/// A 2xx waiting to be recorded with the rest of its batch.
#[derive(Debug, Clone)]
pub struct SentRow {
    pub id: i64,
    pub attempt: i32,
    pub code: i16,
    pub reply: String,
}

/// Records many 2xx in one statement: one commit per batch instead of one
/// per mail, which is what bounded the send rate (issue 7). Each row is
/// fenced on (id, attempt, owner) exactly like `mark_sent`. Returns the ids
/// that were still this owner's claims.
pub async fn mark_many_sent(db: impl PgExecutor<'_>, owner: &str, rows: &[SentRow]) -> anyhow::Result<Vec<i64>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let attempts: Vec<i32> = rows.iter().map(|r| r.attempt).collect();
    let codes: Vec<i16> = rows.iter().map(|r| r.code).collect();
    let replies: Vec<String> = rows.iter().map(|r| r.reply.clone()).collect();
    sqlx::query_scalar!(
        r#"update deliveries d
           set status = 'sent', sent_at = now(), smtp_code = v.code, last_error = v.reply, owner = null,
               lease_expires_at = null
           from unnest($2::bigint[], $3::int[], $4::smallint[], $5::text[]) as v(id, attempt, code, reply)
           where d.id = v.id and d.attempt = v.attempt and d.owner = $1 and d.status = 'sending'
           returning d.id"#,
        owner,
        &ids,
        &attempts,
        &codes,
        &replies
    )
    .fetch_all(db)
    .await
    .context("failed to record sent mail")
}

/// Records a permanent failure. Returns false if the claim was lost.
pub async fn mark_failed(
    db: impl PgExecutor<'_>,
    fence: Fence<'_>,
    code: Option<i16>,
    error: &str,
) -> anyhow::Result<bool> {
    let result = sqlx::query!(
        r#"update deliveries
           set status = 'failed', smtp_code = $4, last_error = $5, owner = null, lease_expires_at = null
           where id = $1 and attempt = $2 and owner = $3 and status = 'sending'"#,
        fence.id,
        fence.attempt,
        fence.owner,
        code,
        error
    )
    .execute(db)
    .await
    .context("failed to record a failed mail")?;
    Ok(result.rows_affected() == 1)
}

/// Puts a delivery back in the queue to be tried after `delay` (database
/// clock). `stale_after` (nudges only): if the retry would land later than
/// that after the nudge's slot, it waits for the same time of day on the
/// first day that is late enough instead, so a long relay outage never sends
/// yesterday's nudge in the middle of the night. `unknown_outcome` counts an
/// attempt whose reply was lost after the end of data.
#[allow(clippy::too_many_arguments)]
pub async fn retry_later(
    db: impl PgExecutor<'_>,
    fence: Fence<'_>,
    delay: chrono::Duration,
    stale_after: Option<chrono::Duration>,
    code: Option<i16>,
    error: &str,
    unknown_outcome: bool,
) -> anyhow::Result<bool> {
    let delay_secs = delay.num_milliseconds() as f64 / 1000.0;
    let stale_secs = stale_after.map(|s| s.num_milliseconds() as f64 / 1000.0);
    let result = sqlx::query!(
        r#"update deliveries
           set status = 'pending', smtp_code = $5, last_error = $6, owner = null, lease_expires_at = null,
               unknown_outcomes = unknown_outcomes + case when $7 then 1 else 0 end,
               due_at = case
                   when $8::float8 is not null and now() + make_interval(secs => $4) > slot + make_interval(secs => $8)
                   then slot + make_interval(days => ceil(extract(epoch from now() + make_interval(secs => $4) - slot) / 86400)::int)
                   else now() + make_interval(secs => $4)
               end
           where id = $1 and attempt = $2 and owner = $3 and status = 'sending'"#,
        fence.id,
        fence.attempt,
        fence.owner,
        delay_secs,
        code,
        error,
        unknown_outcome,
        stale_secs
    )
    .execute(db)
    .await
    .context("failed to schedule a retry")?;
    Ok(result.rows_affected() == 1)
}

/// Drops a claimed delivery that must not go out (subscriber gone, say).
pub async fn cancel_claimed(db: impl PgExecutor<'_>, fence: Fence<'_>, reason: &str) -> anyhow::Result<bool> {
    let result = sqlx::query!(
        r#"update deliveries set status = 'cancelled', last_error = $4, owner = null, lease_expires_at = null
           where id = $1 and attempt = $2 and owner = $3 and status = 'sending'"#,
        fence.id,
        fence.attempt,
        fence.owner,
        reason
    )
    .execute(db)
    .await
    .context("failed to cancel a claimed mail")?;
    Ok(result.rows_affected() == 1)
}

/// Gives back a claim that was never started (graceful shutdown): the row is
/// due again at once and the attempt does not count.
pub async fn release_claimed(db: impl PgExecutor<'_>, fence: Fence<'_>) -> anyhow::Result<bool> {
    let result = sqlx::query!(
        r#"update deliveries set status = 'pending', attempt = attempt - 1, owner = null, lease_expires_at = null
           where id = $1 and attempt = $2 and owner = $3 and status = 'sending'"#,
        fence.id,
        fence.attempt,
        fence.owner
    )
    .execute(db)
    .await
    .context("failed to release a claimed mail")?;
    Ok(result.rows_affected() == 1)
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

/// Returns expired claims to the queue. The lease condition is re-checked on
/// each row under its lock, so a claim completed a moment ago is left alone.
#[tracing::instrument(skip_all)]
pub async fn rescue_expired_leases(pool: &PgPool) -> anyhow::Result<u64> {
    let result = sqlx::query!(
        r#"update deliveries set status = 'pending', owner = null, lease_expires_at = null,
                  last_error = 'lease expired; claimed again'
           where status = 'sending' and lease_expires_at < now()"#
    )
    .execute(pool)
    .await
    .context("failed to rescue expired leases")?;
    Ok(result.rows_affected())
}

/// Counts by status, for `tend stats` and tests.
pub async fn count_by_status(db: impl PgExecutor<'_>) -> anyhow::Result<Vec<(String, String, i64)>> {
    let rows = sqlx::query!(
        r#"select kind, status, count(*) as "n!" from deliveries group by kind, status order by kind, status"#
    )
    .fetch_all(db)
    .await
    .context("failed to count deliveries")?;
    Ok(rows.into_iter().map(|r| (r.kind, r.status, r.n)).collect())
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
