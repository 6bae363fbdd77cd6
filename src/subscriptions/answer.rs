//! Answering a nudge: the first answer counts and steers that track through
//! the spacing engine, in the same statement that records it.
//!
//! Unlike the other changes here this is not a transaction block: it is one
//! snapshot read, the engine's step in Rust, and one fenced write statement
//! (see [`store::answering`]), retried from the read if the track moved in
//! between. Two round trips instead of thirteen is what lets a list answer
//! its morning mail at thousands of answers a second.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::Scheduling;
use crate::domain::engine::{self, Event};
use crate::domain::{Action, SubscriberStatus, TimeZone, Track};
use crate::store;
use crate::store::answering::{AnswerContext, AnswerWrite, TrackRow};

/// Reads that went stale this many times in a row are reported as an error:
/// only a track changing continuously could cause it.
const ATTEMPTS: u32 = 8;

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
    pub subscriber_id: i64,
    /// The catalog variant the nudge showed.
    pub variant: String,
}

/// Records `action` for a nudge. `Ok(None)` if the nudge no longer exists.
#[tracing::instrument(skip_all, fields(delivery_id, action = action.key()))]
pub async fn answer(
    pool: &PgPool,
    delivery_id: i64,
    action: Action,
    scheduling: Scheduling,
) -> anyhow::Result<Option<AnswerOutcome>> {
    let mut attempt = 1;
    loop {
        match try_answer(pool, delivery_id, action, scheduling).await {
            Err(e) if attempt < ATTEMPTS && store::answering::is_retryable(&e) => attempt += 1,
            result => return result,
        }
    }
}

async fn try_answer(
    pool: &PgPool,
    delivery_id: i64,
    action: Action,
    scheduling: Scheduling,
) -> anyhow::Result<Option<AnswerOutcome>> {
    let Some(ctx) = store::answering::read(pool, delivery_id).await? else {
        return Ok(None);
    };
    if let Some((earlier, answered_at)) = ctx.answer {
        return Ok(Some(outcome(&ctx, earlier, answered_at, false, current_next_due(&ctx))));
    }
    let steered = steer(&ctx, action, scheduling);
    let write = AnswerWrite {
        delivery_id,
        subscriber_id: ctx.subscriber_id,
        track: ctx.track,
        action,
        steer: steered.as_ref().map(|(row, revision)| (row, *revision)),
    };
    match store::answering::write(pool, &write).await? {
        Some(answered_at) => {
            let next_due = match &steered {
                Some((row, _)) => row.next_due_at.filter(|_| row.enabled),
                None => current_next_due(&ctx),
            };
            Ok(Some(outcome(&ctx, action, answered_at, true, next_due)))
        }
        // Someone answered between the read and the write: report theirs.
        None => {
            let ctx = store::answering::read(pool, delivery_id).await?.context("answered nudge vanished")?;
            let (earlier, answered_at) = ctx.answer.context("answer vanished")?;
            Ok(Some(outcome(&ctx, earlier, answered_at, false, current_next_due(&ctx))))
        }
    }
}

/// The track row the engine decides for this answer, with the version it
/// was computed from, or `None` when the answer is only recorded: the
/// subscriber is not active, or the nudge was already counted as a miss and
/// its track has moved on.
fn steer(ctx: &AnswerContext, action: Action, scheduling: Scheduling) -> Option<(TrackRow, &str)> {
    let (current, revision) = ctx.track_row.as_ref()?;
    if ctx.status != SubscriberStatus::Active || ctx.expired {
        return None;
    }
    let event = match action {
        Action::Done => Event::Done,
        Action::Partly => Event::Partly,
        Action::NotYet => Event::NotYet,
        Action::Snooze => Event::Snooze,
        Action::PauseTrack => {
            let paused = TrackRow { enabled: false, next_due_at: None, repeat_variant: None, ..current.clone() };
            return Some((paused, revision));
        }
    };
    let slots = scheduling.slots_for(ctx.subscriber_id, ctx.zone, ctx.time);
    let step = engine::step(ctx.track, &current.engine, event, ctx.slot, ctx.now, &slots);
    // A snoozed nudge comes back with the same words.
    let repeat_variant = match action {
        Action::Snooze if current.enabled => Some(ctx.variant.clone()),
        _ => current.repeat_variant.clone(),
    };
    let steered = TrackRow {
        enabled: current.enabled,
        engine: step.state,
        next_due_at: current.enabled.then_some(step.next_due),
        repeat_variant,
        last_answer: Some(action),
    };
    Some((steered, revision))
}

fn current_next_due(ctx: &AnswerContext) -> Option<DateTime<Utc>> {
    ctx.track_row.as_ref().filter(|(row, _)| row.enabled).and_then(|(row, _)| row.next_due_at)
}

fn outcome(
    ctx: &AnswerContext,
    action: Action,
    answered_at: DateTime<Utc>,
    recorded_now: bool,
    next_due: Option<DateTime<Utc>>,
) -> AnswerOutcome {
    AnswerOutcome {
        recorded_now,
        action,
        answered_at,
        track: ctx.track,
        next_due,
        zone: ctx.zone,
        subscriber_id: ctx.subscriber_id,
        variant: ctx.variant.clone(),
    }
}
