//! Promises: writing one down (and queuing its two mails in the same
//! transaction), and answering "still realistic?" and "did it happen?".

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;

use super::db_now;
use crate::domain::Scheduling;
use crate::domain::engine;
use crate::domain::promise::{self, CheckAnswer, DueDate, Outcome, PromiseError, PromiseText};
use crate::domain::{PromiseMail, SubscriberStatus, TimeOfDay, TimeZone, Track};
use crate::sealing::{Binding, Sealer};
use crate::store::deliveries::{About, NewMail};
use crate::store::{self, promises::PromiseRow};

/// A promise as the subscriber wrote it down.
#[derive(Debug, Clone)]
pub struct NewPromise {
    pub text: PromiseText,
    pub due_date: DueDate,
    pub due_time: TimeOfDay,
    /// The zone the due date and time are in; the subscriber's own when `None`.
    pub zone: Option<TimeZone>,
}

/// The settings writing a promise down needs.
#[derive(Debug, Clone, Copy)]
pub struct PromiseRules {
    /// How long before the due time "still realistic?" comes (`promises.check_before`).
    pub check_before: Duration,
    pub scheduling: Scheduling,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PromiseMade {
    pub promise_id: i64,
    pub due_at: DateTime<Utc>,
    pub check_at: Option<DateTime<Utc>>,
    pub review_at: DateTime<Utc>,
}

/// What writing a promise down came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MakePromise {
    Made(PromiseMade),
    /// The due time is not acceptable (past, or too far ahead); nothing written.
    Refused(PromiseError),
    /// No such subscriber (any more).
    NoSubscriber,
}

/// Writes a promise down and queues its two mails, in one transaction.
#[tracing::instrument(skip_all, fields(subscriber_id))]
pub async fn make_promise(
    pool: &PgPool,
    sealer: &Sealer,
    subscriber_id: i64,
    promise: &NewPromise,
    rules: PromiseRules,
) -> anyhow::Result<MakePromise> {
    let mut tx = pool.begin().await.context("failed to start a transaction")?;
    let Some(subscriber) = store::subscribers::lock(&mut tx, subscriber_id).await? else {
        return Ok(MakePromise::NoSubscriber);
    };
    let now = db_now(&mut tx).await?;
    let zone = promise.zone.unwrap_or(subscriber.zone);
    let due_at = match promise::due_instant(promise.due_date, promise.due_time.naive(), zone, now) {
        Ok(due) => due,
        Err(err) => return Ok(MakePromise::Refused(err)),
    };
    let slots = subscriber.slots(&rules.scheduling);
    // The text is sealed for its row, so the row's id comes first.
    let promise_id = store::promises::next_id(&mut tx).await?;
    let sealed = sealer.seal(promise.text.as_str(), Binding { subscriber_id, promise_id });
    store::promises::insert(&mut tx, promise_id, subscriber_id, &sealed, due_at).await?;
    let check_at = promise::check_at(due_at, rules.check_before, &slots, now);
    if let Some(at) = check_at {
        queue_promise_mail(&mut tx, subscriber_id, promise_id, PromiseMail::Check, at).await?;
    }
    let review_at = promise::review_at(due_at, &slots);
    queue_promise_mail(&mut tx, subscriber_id, promise_id, PromiseMail::Review, review_at).await?;
    tx.commit().await.context("failed to commit a promise")?;
    Ok(MakePromise::Made(PromiseMade { promise_id, due_at, check_at, review_at }))
}

async fn queue_promise_mail(
    conn: &mut sqlx::PgConnection,
    subscriber_id: i64,
    promise_id: i64,
    mail: PromiseMail,
    slot: DateTime<Utc>,
) -> anyhow::Result<()> {
    let mail = NewMail { about: About::Promise(promise_id), ..NewMail::at(subscriber_id, mail.kind(), slot) };
    store::deliveries::queue_mail(conn, mail).await?;
    Ok(())
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
            let slots = subscriber.slots(&scheduling);
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
