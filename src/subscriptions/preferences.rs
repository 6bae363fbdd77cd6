//! Preferences: zone, time, tracks and daily limit; pausing and resuming.

use anyhow::Context;
use chrono::Weekday;
use sqlx::PgPool;

use super::{activate, db_now};
use crate::domain::engine::{self, Event};
use crate::domain::{Scheduling, SubscriberStatus, TrackSet};
use crate::store::{self, subscribers::Preferences};

#[derive(Debug, Clone)]
pub struct PreferencesChange {
    pub preferences: Preferences,
    pub tracks: TrackSet,
}

/// Saves new preferences. Each scheduled track keeps its local date and moves
/// to the new time (or the first new slot, if that moment has passed); newly
/// chosen tracks start at the first slot. Returns false if the subscriber is gone.
#[tracing::instrument(skip_all, fields(subscriber_id))]
pub async fn update_preferences(
    pool: &PgPool,
    subscriber_id: i64,
    change: PreferencesChange,
    scheduling: Scheduling,
) -> anyhow::Result<bool> {
    let mut tx = pool.begin().await.context("failed to start a transaction")?;
    let Some(before) = store::subscribers::lock(&mut tx, subscriber_id).await? else {
        return Ok(false);
    };
    store::subscribers::update_preferences(&mut tx, subscriber_id, &change.preferences).await?;
    store::tracks::choose(&mut tx, subscriber_id, &change.tracks).await?;
    if before.status == SubscriberStatus::Active {
        let after = store::subscribers::get(&mut *tx, subscriber_id).await?.context("subscriber vanished")?;
        let (old_slots, new_slots) = (before.slots(&scheduling), after.slots(&scheduling));
        let now = db_now(&mut tx).await?;
        for track in store::tracks::list(&mut *tx, subscriber_id).await? {
            let Some(due) = track.next_due_at.filter(|_| track.enabled) else {
                continue;
            };
            let moved = new_slots.on(old_slots.local_date(due));
            let moved = if moved > now { moved } else { new_slots.first_after(now) };
            store::tracks::reschedule(&mut tx, subscriber_id, track.track, moved, None).await?;
        }
        store::tracks::schedule_unscheduled(&mut tx, subscriber_id, new_slots.first_after(now)).await?;
    }
    tx.commit().await.context("failed to commit preferences")?;
    Ok(true)
}

/// Stops all nudges until `resume`; queued ones are cancelled. Returns the
/// status afterwards, or `None` if the subscriber is gone.
#[tracing::instrument(skip_all, fields(subscriber_id))]
pub async fn pause(pool: &PgPool, subscriber_id: i64) -> anyhow::Result<Option<SubscriberStatus>> {
    let mut tx = pool.begin().await.context("failed to start a transaction")?;
    let Some(subscriber) = store::subscribers::lock(&mut tx, subscriber_id).await? else {
        return Ok(None);
    };
    if subscriber.status == SubscriberStatus::Active {
        store::subscribers::set_status(&mut tx, subscriber_id, SubscriberStatus::Paused).await?;
        store::tracks::clear_schedule(&mut tx, subscriber_id).await?;
        store::deliveries::cancel_pending(&mut tx, subscriber_id).await?;
    }
    let status = store::subscribers::get(&mut *tx, subscriber_id).await?.map(|s| s.status);
    tx.commit().await.context("failed to commit a pause")?;
    Ok(status)
}

/// Picks up again at the first slot from now, after a pause or a rest. After
/// a rest each track eases back in (the engine's `resume`: half the interval).
#[tracing::instrument(skip_all, fields(subscriber_id))]
pub async fn resume(
    pool: &PgPool,
    subscriber_id: i64,
    scheduling: Scheduling,
) -> anyhow::Result<Option<SubscriberStatus>> {
    let mut tx = pool.begin().await.context("failed to start a transaction")?;
    let Some(subscriber) = store::subscribers::lock(&mut tx, subscriber_id).await? else {
        return Ok(None);
    };
    match subscriber.status {
        SubscriberStatus::Paused => activate(&mut tx, &subscriber, scheduling).await?,
        SubscriberStatus::Resting => {
            let now = db_now(&mut tx).await?;
            let slots = subscriber.slots(&scheduling);
            store::subscribers::set_status(&mut tx, subscriber_id, SubscriberStatus::Active).await?;
            store::subscribers::clear_misses(&mut tx, subscriber_id).await?;
            for track in store::tracks::list(&mut *tx, subscriber_id).await?.into_iter().filter(|t| t.enabled) {
                let step = engine::step(track.track, &track.engine, Event::Resume, now, now, &slots);
                store::tracks::save_engine_step(
                    &mut tx,
                    subscriber_id,
                    track.track,
                    &step.state,
                    Some(step.next_due),
                    None,
                )
                .await?;
            }
        }
        SubscriberStatus::Pending | SubscriberStatus::Active | SubscriberStatus::Unsubscribed => {}
    }
    let status = store::subscribers::get(&mut *tx, subscriber_id).await?.map(|s| s.status);
    tx.commit().await.context("failed to commit a resume")?;
    Ok(status)
}

/// Switches the weekly summary on (first one next Sunday at the preferred
/// time) or off. Returns false if the subscriber is gone.
#[tracing::instrument(skip_all, fields(subscriber_id, on))]
pub async fn set_weekly_summary(
    pool: &PgPool,
    subscriber_id: i64,
    on: bool,
    scheduling: Scheduling,
) -> anyhow::Result<bool> {
    let mut tx = pool.begin().await.context("failed to start a transaction")?;
    let Some(subscriber) = store::subscribers::lock(&mut tx, subscriber_id).await? else {
        return Ok(false);
    };
    let first = match on {
        true => Some(subscriber.slots(&scheduling).first_on_weekday_after(Weekday::Sun, db_now(&mut tx).await?)),
        false => None,
    };
    store::subscribers::set_weekly_summary(&mut tx, subscriber_id, first).await?;
    tx.commit().await.context("failed to commit the weekly summary choice")?;
    Ok(true)
}
