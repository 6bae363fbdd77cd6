//! Promises: writing one down (and queuing its two mails in the same
//! transaction), and answering "still realistic?" and "did it happen?".

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;

use super::{Scheduling, db_now};
use crate::domain::engine::{self};
use crate::domain::promise::{self, CheckAnswer, Outcome, PromiseError, PromiseText};
use crate::domain::{SubscriberStatus, TimeOfDay, TimeZone, Track};
use crate::sealing::Sealer;
use crate::store::{self, promises::PromiseRow};

/// Kinds of the two promise mails, as stored in `deliveries.kind`.
pub const CHECK_KIND: &str = "promise_check";
pub const REVIEW_KIND: &str = "promise_review";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PromiseMade {
    pub promise_id: i64,
    pub due_at: DateTime<Utc>,
    pub check_at: Option<DateTime<Utc>>,
    pub review_at: DateTime<Utc>,
}

/// Writes a promise down. The due date and time are read in `zone` (the
/// subscriber's own zone when `None`); `Ok(Err(_))` is bad input and nothing
/// is written.
#[allow(clippy::too_many_arguments)]
#[tracing::instrument(skip_all, fields(subscriber_id))]
pub async fn make_promise(
    pool: &PgPool,
    sealer: &Sealer,
    subscriber_id: i64,
    text: &PromiseText,
    due_date: &str,
    due_time: TimeOfDay,
    zone: Option<TimeZone>,
    check_before: Duration,
    scheduling: Scheduling,
) -> anyhow::Result<Option<Result<PromiseMade, PromiseError>>> {
    let mut tx = pool.begin().await.context("failed to start a transaction")?;
    let Some(subscriber) = store::subscribers::lock(&mut tx, subscriber_id).await? else {
        return Ok(None);
    };
    let now = db_now(&mut tx).await?;
    let due_at = match promise::parse_due(due_date, due_time.naive(), zone.unwrap_or(subscriber.zone), now) {
        Ok(due) => due,
        Err(err) => return Ok(Some(Err(err))),
    };
    let slots = scheduling.slots(&subscriber);
    let promise_id = store::promises::insert(&mut tx, subscriber_id, &sealer.seal(text.as_str()), due_at).await?;
    let check_at = promise::check_at(due_at, check_before, &slots, now);
    if let Some(at) = check_at {
        store::promises::queue_mail(&mut tx, subscriber_id, promise_id, CHECK_KIND, at).await?;
    }
    let review_at = promise::review_at(due_at, &slots);
    store::promises::queue_mail(&mut tx, subscriber_id, promise_id, REVIEW_KIND, review_at).await?;
    tx.commit().await.context("failed to commit a promise")?;
    Ok(Some(Ok(PromiseMade { promise_id, due_at, check_at, review_at })))
}

/// What a promise page shows after an answer.
#[derive(Debug, Clone)]
pub struct PromiseAnswered {
    pub recorded_now: bool,
    pub promise: PromiseRow,
}

/// Records "still realistic?". `None` if the promise is gone.
pub async fn answer_check(
    pool: &PgPool,
    promise_id: i64,
    answer: CheckAnswer,
) -> anyhow::Result<Option<PromiseAnswered>> {
    let mut tx = pool.begin().await.context("failed to start a transaction")?;
    let recorded_now = store::promises::record_check(&mut tx, promise_id, answer).await?;
    let Some(promise) = store::promises::get(&mut *tx, promise_id).await? else {
        return Ok(None);
    };
    if recorded_now {
        store::subscribers::clear_misses(&mut tx, promise.subscriber_id).await?;
    }
    tx.commit().await.context("failed to commit a promise check")?;
    Ok(Some(PromiseAnswered { recorded_now, promise }))
}

/// Records "did it happen?" and feeds it to the follow-through track, in the
/// same transaction. `None` if the promise is gone.
pub async fn answer_review(
    pool: &PgPool,
    promise_id: i64,
    outcome: Outcome,
    scheduling: Scheduling,
) -> anyhow::Result<Option<PromiseAnswered>> {
    let mut tx = pool.begin().await.context("failed to start a transaction")?;
    let Some(promise) = store::promises::get(&mut *tx, promise_id).await? else {
        return Ok(None);
    };
    let Some(subscriber) = store::subscribers::lock(&mut tx, promise.subscriber_id).await? else {
        return Ok(None);
    };
    let recorded_now = store::promises::record_outcome(&mut tx, promise_id, outcome).await?;
    if recorded_now {
        store::subscribers::clear_misses(&mut tx, subscriber.id).await?;
        let follow = store::tracks::lock_one(&mut tx, subscriber.id, Track::FollowThrough).await?;
        if let Some(track) = follow.filter(|t| t.enabled && subscriber.status == SubscriberStatus::Active) {
            let now = db_now(&mut tx).await?;
            let slots = scheduling.slots(&subscriber);
            let step = engine::step(Track::FollowThrough, &track.engine, outcome.event(), now, now, &slots);
            // The track keeps an earlier slot it already had: a promise
            // steers the spacing, it does not postpone the next nudge.
            let next_due = track.next_due_at.map_or(step.next_due, |due| due.min(step.next_due));
            store::tracks::save_engine_step(
                &mut tx,
                subscriber.id,
                Track::FollowThrough,
                &step.state,
                Some(next_due),
                None,
            )
            .await?;
        }
    }
    let promise = store::promises::get(&mut *tx, promise_id).await?.context("promise vanished")?;
    tx.commit().await.context("failed to commit a promise outcome")?;
    Ok(Some(PromiseAnswered { recorded_now, promise }))
}
