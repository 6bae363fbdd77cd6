//! Nudges in the outbox: planning them, the history the planner reads, the
//! answer window and its expiry.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};

use crate::domain::Track;

/// A nudge to plan, as the planner decided it.
#[derive(Debug, Clone)]
pub struct NewNudge {
    pub subscriber_id: i64,
    pub track: Track,
    pub variant: String,
    pub slot: DateTime<Utc>,
    /// Unanswered after this, the nudge counts as a miss.
    pub answer_by: DateTime<Utc>,
}

/// Inserts planned nudges; a nudge already planned for the same slot is
/// skipped by the unique key, which is what makes planning idempotent.
#[tracing::instrument(skip_all, fields(rows = nudges.len()))]
pub async fn insert(conn: &mut PgConnection, nudges: &[NewNudge]) -> anyhow::Result<u64> {
    let ids: Vec<i64> = nudges.iter().map(|n| n.subscriber_id).collect();
    let tracks: Vec<String> = nudges.iter().map(|n| n.track.key().to_owned()).collect();
    let variants: Vec<String> = nudges.iter().map(|n| n.variant.clone()).collect();
    let slots: Vec<DateTime<Utc>> = nudges.iter().map(|n| n.slot).collect();
    let answer_by: Vec<DateTime<Utc>> = nudges.iter().map(|n| n.answer_by).collect();
    let result = sqlx::query!(
        r#"insert into deliveries (subscriber_id, kind, track, variant, slot, due_at, answer_by)
           select n.subscriber_id, 'nudge', n.track, n.variant, n.slot, n.slot, n.answer_by
           from unnest($1::bigint[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[])
                as n (subscriber_id, track, variant, slot, answer_by)
           on conflict (subscriber_id, kind, coalesce(track, ''), slot) where promise_id is null do nothing"#,
        &ids,
        &tracks,
        &variants,
        &slots,
        &answer_by
    )
    .execute(conn)
    .await
    .context("failed to queue nudges")?;
    Ok(result.rows_affected())
}

/// Slots of nudges (and promise mails, which count toward the daily limit
/// and were queued first) planned for these subscribers since `since`.
pub async fn recent_slots(
    conn: &mut PgConnection,
    ids: &[i64],
    since: DateTime<Utc>,
) -> anyhow::Result<Vec<(i64, DateTime<Utc>)>> {
    let rows = sqlx::query!(
        r#"select subscriber_id, slot from deliveries
           where subscriber_id = any($1) and kind in ('nudge', 'promise_check', 'promise_review')
             and slot >= $2 and status <> 'cancelled'"#,
        ids,
        since
    )
    .fetch_all(conn)
    .await
    .context("failed to load recent nudges")?;
    Ok(rows.into_iter().map(|r| (r.subscriber_id, r.slot)).collect())
}

/// When each variant was last planned, per subscriber and track.
pub struct VariantSeen {
    pub subscriber_id: i64,
    pub track: String,
    pub variant: String,
    pub last_slot: DateTime<Utc>,
}

pub async fn variant_history(conn: &mut PgConnection, ids: &[i64]) -> anyhow::Result<Vec<VariantSeen>> {
    sqlx::query_as!(
        VariantSeen,
        r#"select subscriber_id, track as "track!", variant as "variant!", max(slot) as "last_slot!"
           from deliveries
           where subscriber_id = any($1) and kind = 'nudge' and track is not null and variant is not null
           group by subscriber_id, track, variant"#,
        ids
    )
    .fetch_all(conn)
    .await
    .context("failed to load variant history")
}

/// A sent nudge whose answer window closed without an answer.
#[derive(Debug, Clone)]
pub struct Unanswered {
    pub id: i64,
    pub subscriber_id: i64,
    pub track: Track,
    pub slot: DateTime<Utc>,
}

struct UnansweredRow {
    id: i64,
    subscriber_id: i64,
    track: String,
    slot: DateTime<Utc>,
}

/// Claims up to `limit` unanswered nudges past their window and marks them
/// expired, in the caller's transaction (`skip locked`: sweeps share work).
pub async fn expire_unanswered(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> anyhow::Result<Vec<Unanswered>> {
    let rows = sqlx::query_as!(
        UnansweredRow,
        r#"with due as (
               select d.id from deliveries d
               where d.kind = 'nudge' and d.status = 'sent' and d.expired_at is null and d.answer_by <= $1
                 and not exists (select 1 from answers a where a.delivery_id = d.id)
               order by d.answer_by
               limit $2
               for update skip locked
           )
           update deliveries d set expired_at = $1
           from due where d.id = due.id
           returning d.id, d.subscriber_id, d.track as "track!", d.slot"#,
        now,
        limit
    )
    .fetch_all(conn)
    .await
    .context("failed to expire unanswered nudges")?;
    rows.into_iter()
        .map(|r| {
            let track = Track::parse(&r.track).context("stored track no longer parses")?;
            Ok(Unanswered { id: r.id, subscriber_id: r.subscriber_id, track, slot: r.slot })
        })
        .collect()
}

/// (deliveries due now and unclaimed, seconds the oldest has waited), for metrics.
pub async fn due_queue(db: impl PgExecutor<'_>) -> anyhow::Result<(i64, f64)> {
    let row = sqlx::query!(
        r#"select count(*) as "due!", coalesce(extract(epoch from now() - min(due_at))::float8, 0) as "oldest!"
           from deliveries where status = 'pending' and due_at <= now()"#
    )
    .fetch_one(db)
    .await
    .context("failed to measure the queue")?;
    Ok((row.due, row.oldest))
}

/// Nudges sent to a subscriber with slots in `[from, to)`, for the weekly summary.
pub async fn sent_between(
    db: impl PgExecutor<'_>,
    subscriber_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> anyhow::Result<i64> {
    sqlx::query_scalar!(
        r#"select count(*) as "n!" from deliveries
           where subscriber_id = $1 and kind = 'nudge' and status = 'sent' and slot >= $2 and slot < $3"#,
        subscriber_id,
        from,
        to
    )
    .fetch_one(db)
    .await
    .context("failed to count the week's nudges")
}
