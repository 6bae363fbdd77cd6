//! What a batch of answers decides, without I/O: which answers count, how
//! each steers its track through the spacing engine, and what every caller
//! is told. Answers apply in arrival order, so two answers to nudges of one
//! track in one batch both steer it, the second from where the first left it.
//! An answer from a link of an earlier link generation is refused here,
//! against the generation the batch's read saw, so a POST needs no read of
//! its own before the batch.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::AnswerOutcome;
use crate::domain::Scheduling;
use crate::domain::engine::{self, Event};
use crate::domain::{Action, LinkGeneration, SubscriberStatus, Track};
use crate::store::answering::{AnswerBatch, AnswerContext, NewAnswer, TrackRow, TrackWrite};

/// One caller's answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Asked {
    pub delivery_id: i64,
    pub action: Action,
    /// The generation of the link that asked, if it must still be the
    /// subscriber's current one; `None` when the caller has checked already
    /// (a reply's address is checked when it arrives) or the link is of a
    /// kind that is not revocable.
    pub link: Option<LinkGeneration>,
}

/// Why an answer was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// No such nudge (or its subscriber is gone).
    Gone,
    /// The link is of an earlier generation: "sign out my links" switched it off.
    Revoked,
}

/// A batch's writes and, per caller, what to reply.
#[derive(Debug, Default)]
pub struct Plan {
    pub batch: AnswerBatch,
    /// Refused for a nudge that does not exist or a switched-off link.
    /// `answered_at` is `None` for answers this batch records, which get
    /// the write's time.
    pub replies: Vec<Result<Reply, Refused>>,
}

#[derive(Debug, Clone)]
pub struct Reply {
    pub recorded_now: bool,
    pub action: Action,
    pub answered_at: Option<DateTime<Utc>>,
    pub track: Track,
    pub subscriber_id: i64,
    pub variant: String,
    pub zone: crate::domain::TimeZone,
}

impl Reply {
    pub fn outcome(self, written_at: DateTime<Utc>, next_due: Option<DateTime<Utc>>) -> AnswerOutcome {
        AnswerOutcome {
            recorded_now: self.recorded_now,
            action: self.action,
            answered_at: self.answered_at.unwrap_or(written_at),
            track: self.track,
            next_due,
            zone: self.zone,
            subscriber_id: self.subscriber_id,
            variant: self.variant,
        }
    }
}

pub fn plan(asked: &[Asked], found: &[AnswerContext], scheduling: Scheduling) -> Plan {
    let by_id: HashMap<i64, &AnswerContext> = found.iter().map(|c| (c.delivery_id, c)).collect();
    let mut this_batch: HashMap<i64, Action> = HashMap::new();
    let mut tracks: HashMap<(i64, Track), TrackWrite> = HashMap::new();
    let mut plan = Plan::default();
    for ask in asked {
        let Some(ctx) = by_id.get(&ask.delivery_id) else {
            plan.replies.push(Err(Refused::Gone));
            continue;
        };
        if ask.link.is_some_and(|link| link != ctx.link_generation) {
            plan.replies.push(Err(Refused::Revoked));
            continue;
        }
        let earlier =
            ctx.answer.map(|(a, at)| (a, Some(at))).or_else(|| this_batch.get(&ctx.delivery_id).map(|a| (*a, None)));
        if let Some((action, answered_at)) = earlier {
            plan.replies.push(Ok(reply(ctx, action, answered_at, false)));
            continue;
        }
        this_batch.insert(ctx.delivery_id, ask.action);
        plan.batch.answers.push(NewAnswer {
            delivery_id: ctx.delivery_id,
            subscriber_id: ctx.subscriber_id,
            track: ctx.track,
            action: ask.action,
        });
        if ctx.consecutive_misses > 0 && !plan.batch.clear_misses.contains(&ctx.subscriber_id) {
            plan.batch.clear_misses.push(ctx.subscriber_id);
        }
        steer_in_batch(&mut tracks, ctx, ask.action, scheduling);
        plan.replies.push(Ok(reply(ctx, ask.action, None, true)));
    }
    let mut writes: Vec<TrackWrite> = tracks.into_values().collect();
    // A stable order, so that two batches touching the same rows lock them alike.
    writes.sort_by_key(|w| (w.subscriber_id, w.track.key()));
    plan.batch.tracks = writes;
    plan
}

/// When each reply's track comes next after the batch, or `None` if it is
/// paused or off.
pub fn next_due(plan: &Plan, found: &[AnswerContext], reply: &Reply) -> Option<DateTime<Utc>> {
    let written = plan.batch.tracks.iter().find(|w| w.subscriber_id == reply.subscriber_id && w.track == reply.track);
    match written {
        Some(w) => w.row.next_due(),
        None => found
            .iter()
            .find(|c| c.subscriber_id == reply.subscriber_id && c.track == reply.track)
            .and_then(AnswerContext::next_due),
    }
}

fn reply(ctx: &AnswerContext, action: Action, answered_at: Option<DateTime<Utc>>, recorded_now: bool) -> Reply {
    Reply {
        recorded_now,
        action,
        answered_at,
        track: ctx.track,
        subscriber_id: ctx.subscriber_id,
        variant: ctx.variant.clone(),
        zone: ctx.zone,
    }
}

/// Applies one answer to its track's row as this batch has left it.
fn steer_in_batch(
    tracks: &mut HashMap<(i64, Track), TrackWrite>,
    ctx: &AnswerContext,
    action: Action,
    scheduling: Scheduling,
) {
    let Some((read, revision)) = ctx.track_row.as_ref() else { return };
    let key = (ctx.subscriber_id, ctx.track);
    let current = tracks.get(&key).map_or(read, |w| &w.row);
    let Some(row) = steer(ctx, current, action, scheduling) else { return };
    tracks.insert(
        key,
        TrackWrite { subscriber_id: ctx.subscriber_id, track: ctx.track, row, revision: revision.clone() },
    );
}

/// The track row the engine decides for this answer, or `None` when the
/// answer is only recorded: the subscriber is not active, or the nudge was
/// already counted as a miss and its track has moved on.
fn steer(ctx: &AnswerContext, current: &TrackRow, action: Action, scheduling: Scheduling) -> Option<TrackRow> {
    if ctx.status != SubscriberStatus::Active || ctx.expired {
        return None;
    }
    let event = match action {
        Action::Done => Event::Done,
        Action::Partly => Event::Partly,
        Action::NotYet => Event::NotYet,
        Action::Snooze => Event::Snooze,
        Action::PauseTrack => {
            return Some(TrackRow { enabled: false, next_due_at: None, repeat_variant: None, ..current.clone() });
        }
    };
    let slots = scheduling.slots_for(ctx.subscriber_id, ctx.zone, ctx.time);
    let step = engine::step(ctx.track, &current.engine, event, ctx.slot, ctx.now, &slots);
    // A snoozed nudge comes back with the same words.
    let repeat_variant = match action {
        Action::Snooze if current.enabled => Some(ctx.variant.clone()),
        _ => current.repeat_variant.clone(),
    };
    Some(TrackRow {
        enabled: current.enabled,
        engine: step.state,
        next_due_at: current.enabled.then_some(step.next_due),
        repeat_variant,
        last_answer: Some(action),
    })
}

#[cfg(test)]
mod tests;
