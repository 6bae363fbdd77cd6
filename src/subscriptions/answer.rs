//! Answering a nudge: the first answer counts and steers that track through
//! the spacing engine, in the same transaction that records it.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::{Scheduling, db_now};
use crate::domain::engine::{self, Event};
use crate::domain::{Action, SubscriberStatus, TimeZone, Track};
use crate::store;

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
    let Some(nudge) = store::nudges::get(&mut *tx, delivery_id).await? else {
        return Ok(None);
    };
    let Some(subscriber) = store::subscribers::lock(&mut tx, nudge.subscriber_id).await? else {
        return Ok(None);
    };
    let track = Track::parse(&nudge.track)?;
    let recorded_now = store::answers::record(&mut tx, delivery_id, subscriber.id, track, action).await?;
    if recorded_now {
        // Any answer shows the subscriber is here: no more "misses in a row".
        store::subscribers::clear_misses(&mut tx, subscriber.id).await?;
        // A nudge already counted as a miss has been followed by its track's
        // next one: the answer is kept, the schedule has moved on.
        if subscriber.status == SubscriberStatus::Active && nudge.expired_at.is_none() {
            steer(&mut tx, &subscriber, track, action, nudge.slot, &nudge.variant, scheduling).await?;
        }
    }
    let recorded = store::answers::find(&mut *tx, delivery_id).await?.context("answer vanished")?;
    let next_due =
        store::tracks::lock_one(&mut tx, subscriber.id, track).await?.filter(|t| t.enabled).and_then(|t| t.next_due_at);
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

/// Feeds the answer to the engine and writes its decision.
async fn steer(
    tx: &mut sqlx::PgConnection,
    subscriber: &store::subscribers::Subscriber,
    track: Track,
    action: Action,
    slot: DateTime<Utc>,
    variant: &str,
    scheduling: Scheduling,
) -> anyhow::Result<()> {
    let event = match action {
        Action::Done => Event::Done,
        Action::Partly => Event::Partly,
        Action::NotYet => Event::NotYet,
        Action::Snooze => Event::Snooze,
        Action::PauseTrack => return store::tracks::disable(tx, subscriber.id, track).await,
    };
    let Some(state) = store::tracks::lock_one(tx, subscriber.id, track).await? else {
        return Ok(());
    };
    let now = db_now(tx).await?;
    let step = engine::step(track, &state.engine, event, slot, now, &scheduling.slots(subscriber));
    store::tracks::save_engine_step(tx, subscriber.id, track, &step.state, Some(step.next_due), Some(action)).await?;
    if action == Action::Snooze {
        store::tracks::reschedule(tx, subscriber.id, track, step.next_due, Some(variant)).await?;
    }
    Ok(())
}
