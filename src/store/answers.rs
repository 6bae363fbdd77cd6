//! Answers: what subscribers said about their nudges, read back for
//! progress views and metrics. Recording one is [`super::answering`]'s job.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

use crate::domain::{Action, Track};

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
