//! Recording what happened to a claimed delivery: sent, failed, back in the
//! queue for a retry, or cancelled. Every write is fenced on the claim's
//! queue row ([`Fence`]: id, attempt, owner), so a sender whose lease was
//! taken over changes nothing; each returns whether it still held the claim.
//!
//! A settled delivery leaves the queue (its queue row is deleted) and its
//! `deliveries` row takes the outcome, the attempt count and the owner in
//! one statement. None of those columns is indexed, so the row update is a
//! HOT update when its page has room.

use anyhow::Context;
use sqlx::PgExecutor;

use super::Fence;

/// Records a 2xx. Returns false if the claim was lost.
pub async fn mark_sent(db: impl PgExecutor<'_>, fence: Fence<'_>, code: i16, reply: &str) -> anyhow::Result<bool> {
    let result = sqlx::query!(
        r#"with settled as (
               delete from delivery_queue where delivery_id = $1 and attempt = $2 and owner = $3
               returning delivery_id, attempt
           )
           update deliveries d
           set status = 'sent', sent_at = now(), smtp_code = $4, last_error = $5, owner = $3, attempt = settled.attempt
           from settled where d.id = settled.delivery_id"#,
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

/// A 2xx waiting to be recorded with others.
#[derive(Debug, Clone)]
pub struct SentRow {
    pub id: i64,
    pub attempt: i32,
    pub code: i16,
    pub reply: String,
}

/// Records many 2xx in one statement: one commit for many mails instead of
/// one per mail, which is what bounded the send rate. Each row is fenced on
/// (id, attempt, owner) exactly like `mark_sent`. Returns the ids that were
/// still this owner's claims.
pub async fn mark_many_sent(db: impl PgExecutor<'_>, owner: &str, rows: &[SentRow]) -> anyhow::Result<Vec<i64>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let attempts: Vec<i32> = rows.iter().map(|r| r.attempt).collect();
    let codes: Vec<i16> = rows.iter().map(|r| r.code).collect();
    let replies: Vec<String> = rows.iter().map(|r| r.reply.clone()).collect();
    sqlx::query_scalar!(
        r#"with settled as (
               delete from delivery_queue q
               using unnest($2::bigint[], $3::int[]) as v(id, attempt)
               where q.delivery_id = v.id and q.attempt = v.attempt and q.owner = $1
               returning q.delivery_id, q.attempt
           )
           update deliveries d
           set status = 'sent', sent_at = now(), smtp_code = v.code, last_error = v.reply, owner = $1,
               attempt = settled.attempt
           from settled join unnest($2::bigint[], $4::smallint[], $5::text[]) as v(id, code, reply)
               on v.id = settled.delivery_id
           where d.id = settled.delivery_id
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
        r#"with settled as (
               delete from delivery_queue where delivery_id = $1 and attempt = $2 and owner = $3
               returning delivery_id, attempt
           )
           update deliveries d
           set status = 'failed', smtp_code = $4, last_error = $5, owner = $3, attempt = settled.attempt
           from settled where d.id = settled.delivery_id"#,
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

/// When and why a delivery goes back to the queue.
#[derive(Debug, Clone, Copy)]
pub struct Retry<'a> {
    /// From now (database clock).
    pub delay: chrono::Duration,
    /// Nudges only: if the retry would land later than this after the
    /// nudge's slot, it waits for the same time of day on the first day that
    /// is late enough instead, so a long relay outage never sends yesterday's
    /// nudge in the middle of the night.
    pub stale_after: Option<chrono::Duration>,
    pub code: Option<i16>,
    pub error: &'a str,
    /// The attempt's reply was lost after the end of data.
    pub unknown_outcome: bool,
}

/// Puts a delivery back in the queue, as `retry` says. Returns false if the
/// claim was lost.
pub async fn retry_later(db: impl PgExecutor<'_>, fence: Fence<'_>, retry: Retry<'_>) -> anyhow::Result<bool> {
    let delay_secs = retry.delay.num_milliseconds() as f64 / 1000.0;
    let stale_secs = retry.stale_after.map(|s| s.num_milliseconds() as f64 / 1000.0);
    let result = sqlx::query!(
        r#"with requeued as (
               update delivery_queue q
               set owner = null, lease_expires_at = null,
                   due_at = case
                       when $8::float8 is not null and now() + make_interval(secs => $4) > d.slot + make_interval(secs => $8)
                       then d.slot + make_interval(days => ceil(extract(epoch from now() + make_interval(secs => $4) - d.slot) / 86400)::int)
                       else now() + make_interval(secs => $4)
                   end
               from deliveries d
               where q.delivery_id = $1 and q.attempt = $2 and q.owner = $3 and d.id = q.delivery_id
               returning q.delivery_id, q.attempt, q.due_at
           )
           update deliveries d
           set due_at = requeued.due_at, attempt = requeued.attempt, smtp_code = $5, last_error = $6, owner = $3,
               unknown_outcomes = d.unknown_outcomes + case when $7 then 1 else 0 end
           from requeued where d.id = requeued.delivery_id"#,
        fence.id,
        fence.attempt,
        fence.owner,
        delay_secs,
        retry.code,
        retry.error,
        retry.unknown_outcome,
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
        r#"with settled as (
               delete from delivery_queue where delivery_id = $1 and attempt = $2 and owner = $3
               returning delivery_id, attempt
           )
           update deliveries d set status = 'cancelled', last_error = $4, owner = $3, attempt = settled.attempt
           from settled where d.id = settled.delivery_id"#,
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
        r#"update delivery_queue set attempt = attempt - 1, owner = null, lease_expires_at = null
           where delivery_id = $1 and attempt = $2 and owner = $3"#,
        fence.id,
        fence.attempt,
        fence.owner
    )
    .execute(db)
    .await
    .context("failed to release a claimed mail")?;
    Ok(result.rows_affected() == 1)
}
