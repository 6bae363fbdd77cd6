//! Answering a nudge: the first answer counts and steers that track.

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;

use super::{Scheduling, db_now};
use crate::domain::{Action, SubscriberStatus, TimeZone, Track};
use crate::store;

/// "Remind me tomorrow" brings the nudge back at the first slot at least this
/// far away, so an evening answer does not repeat it the next morning at 08:30.
pub const SNOOZE_AT_LEAST: Duration = Duration::hours(20);

#[derive(Debug, Clone)]
pub struct AnswerOutcome {
    /// False when the nudge already had an answer; `action` is that earlier one.
    pub recorded_now: bool,
    pub action: Action,
    pub answered_at: DateTime<Utc>,
    pub track: Track,
    /// When this track comes next, or `None` if it is paused or off.
    pub next_due: Option<DateTime<Utc>>,
    pub zone: TimeZone,
}

/// Records `action` for a nudge. `Ok(None)` if the nudge no longer exists.
#[tracing::instrument(skip_all, fields(delivery_id, action = action.key()))]
pub async fn answer(
    pool: &PgPool,
    delivery_id: i64,
    action: Action,
    scheduling: Scheduling,
) -> anyhow::Result<Option<AnswerOutcome>> {
    let mut tx = pool.begin().await.context("failed to start a transaction")?;
    let Some(nudge) = store::deliveries::get_nudge(&mut *tx, delivery_id).await? else {
        return Ok(None);
    };
    let Some(subscriber) = store::subscribers::lock(&mut tx, nudge.subscriber_id).await? else {
        return Ok(None);
    };
    let track = Track::parse(&nudge.track)?;
    let recorded_now = store::answers::record(&mut tx, delivery_id, subscriber.id, track, action).await?;
    if recorded_now && subscriber.status == SubscriberStatus::Active {
        match action {
            Action::Snooze => {
                let now = db_now(&mut tx).await?;
                let again = scheduling.slots(&subscriber).first_at_or_after(now + SNOOZE_AT_LEAST);
                store::tracks::reschedule(&mut tx, subscriber.id, track, again, Some(&nudge.variant)).await?;
            }
            Action::PauseTrack => store::tracks::disable(&mut tx, subscriber.id, track).await?,
            // The plain rule: the track keeps the slot planned with the nudge.
            Action::Done | Action::Partly | Action::NotYet => {}
        }
    }
    let recorded = store::answers::find(&mut *tx, delivery_id).await?.context("answer vanished")?;
    let next_due = store::tracks::list(&mut *tx, subscriber.id)
        .await?
        .into_iter()
        .find(|t| t.track == track && t.enabled)
        .and_then(|t| t.next_due_at);
    tx.commit().await.context("failed to commit an answer")?;
    Ok(Some(AnswerOutcome {
        recorded_now,
        action: recorded.action,
        answered_at: recorded.answered_at,
        track,
        next_due,
        zone: subscriber.zone,
    }))
}
