//! Answers: what a subscriber said about a nudge. The first answer counts.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};

use crate::domain::{Action, Track};

#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub action: Action,
    pub answered_at: DateTime<Utc>,
}

/// Records an answer unless the nudge already has one. Returns whether this
/// call recorded it.
#[tracing::instrument(skip_all, fields(delivery_id, action = action.key()))]
pub async fn record(
    conn: &mut PgConnection,
    delivery_id: i64,
    subscriber_id: i64,
    track: Track,
    action: Action,
) -> anyhow::Result<bool> {
    let result = sqlx::query!(
        r#"insert into answers (delivery_id, subscriber_id, track, action)
           values ($1, $2, $3, $4)
           on conflict (delivery_id) do nothing"#,
        delivery_id,
        subscriber_id,
        track.key(),
        action.key()
    )
    .execute(conn)
    .await
    .context("failed to record an answer")?;
    Ok(result.rows_affected() == 1)
}

pub async fn find(db: impl PgExecutor<'_>, delivery_id: i64) -> anyhow::Result<Option<Answer>> {
    let row = sqlx::query!(r#"select action, answered_at from answers where delivery_id = $1"#, delivery_id)
        .fetch_optional(db)
        .await
        .context("failed to load an answer")?;
    row.map(|r| Ok(Answer { action: Action::parse(&r.action)?, answered_at: r.answered_at })).transpose()
}

/// Per track: (track key, done, partly, not yet) over all time, for the
/// subscriber's own progress view.
pub async fn tally(db: impl PgExecutor<'_>, subscriber_id: i64) -> anyhow::Result<Vec<(String, i64, i64, i64)>> {
    let rows = sqlx::query!(
        r#"select track,
                  count(*) filter (where action = 'done') as "done!",
                  count(*) filter (where action = 'partly') as "partly!",
                  count(*) filter (where action = 'not_yet') as "not_yet!"
           from answers where subscriber_id = $1 group by track"#,
        subscriber_id
    )
    .fetch_all(db)
    .await
    .context("failed to tally answers")?;
    Ok(rows.into_iter().map(|r| (r.track, r.done, r.partly, r.not_yet)).collect())
}

/// Every answer of a subscriber since `since`: (track, action, answered at).
pub async fn since(
    db: impl PgExecutor<'_>,
    subscriber_id: i64,
    since: DateTime<Utc>,
) -> anyhow::Result<Vec<(Track, Action, DateTime<Utc>)>> {
    let rows = sqlx::query!(
        r#"select track, action, answered_at from answers
           where subscriber_id = $1 and answered_at >= $2 order by answered_at"#,
        subscriber_id,
        since
    )
    .fetch_all(db)
    .await
    .context("failed to load recent answers")?;
    rows.into_iter().map(|r| Ok((Track::parse(&r.track)?, Action::parse(&r.action)?, r.answered_at))).collect()
}

/// (action, count) over all answers, for metrics.
pub async fn count_by_action(db: impl PgExecutor<'_>) -> anyhow::Result<Vec<(String, i64)>> {
    let rows = sqlx::query!(r#"select action, count(*) as "n!" from answers group by action order by action"#)
        .fetch_all(db)
        .await
        .context("failed to count answers")?;
    Ok(rows.into_iter().map(|r| (r.action, r.n)).collect())
}

/// (track, nudges sent, nudges answered) over the last 30 days, for metrics.
pub async fn rates_by_track(db: impl PgExecutor<'_>) -> anyhow::Result<Vec<(String, i64, i64)>> {
    let rows = sqlx::query!(
        r#"select d.track as "track!", count(*) as "sent!", count(a.delivery_id) as "answered!"
           from deliveries d left join answers a on a.delivery_id = d.id
           where d.kind = 'nudge' and d.status = 'sent' and d.sent_at >= now() - interval '30 days'
           group by d.track order by d.track"#
    )
    .fetch_all(db)
    .await
    .context("failed to compute answer rates")?;
    Ok(rows.into_iter().map(|r| (r.track, r.sent, r.answered)).collect())
}
