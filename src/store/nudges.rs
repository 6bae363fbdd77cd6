//! Nudges in the outbox: the answer window and its expiry, and what metrics
//! and the weekly summary count. Planning them is `store::planning`'s.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};

use crate::domain::Track;

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
           from delivery_queue where owner is null and due_at <= now()"#
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
