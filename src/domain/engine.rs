//! The spacing engine: how each answer steers when a habit comes back.
//!
//! Pure: `step(track, state, event, anchor, now, slots)` returns the new state
//! and the next due instant, with no I/O and no clock. The rule, with its
//! numbers (tuned with the tests below and `tend simulate`):
//!
//! | event | interval (days) | ease | streak |
//! |---|---|---|---|
//! | `done` | `round(interval × ease × taper)`, at most 21 | +0.10 | +1 |
//! | `partly` | unchanged | −0.15 | unchanged |
//! | `not yet` | halved, never below the track's starting interval | −0.20 | unchanged |
//! | `snooze` | unchanged; the same nudge returns at the first slot ≥ 20 h later | unchanged | unchanged |
//! | expired (no answer) | unchanged; counts a miss | unchanged | unchanged |
//! | `resume` (after resting) | halved, never below the start; next slot from now | unchanged | unchanged |
//!
//! - Ease starts at 2.0 and stays within 1.3..=2.5 (SM-2's bounds).
//! - Intervals stay within the track's starting interval and 21 days; a
//!   graduated track uses the maintenance rhythm instead.
//! - The streak counts `done` answers and is never reset: nobody is punished
//!   for honesty. Any answer clears the track's misses.
//! - Graduation: a `done` that brings the interval to 21 days with a streak
//!   of at least 6 (4 for `transparency`) moves the track to maintenance, one
//!   nudge every 30 days. A `not yet` on a graduated track brings it back at
//!   half the maximum interval.
//! - `transparency` tapers off by design: each `done` widens it by an extra
//!   factor of 1.5 and it graduates sooner, because openness offered as a
//!   support is meant to become ordinary, not a standing obligation.
//! - Misses across a subscriber's tracks: after [`MISS_THRESHOLD`] unanswered
//!   nudges in a row, tend stops and sends one "shall we keep going?" mail.
//! - The next due instant is the slot (the preferred local time, DST rules of
//!   `slots`) `interval` local days after the nudge's own slot (`anchor`); if
//!   that has already passed, the first slot after `now`.

use chrono::{DateTime, Duration, Utc};

use super::{Slots, Track};

pub const EASE_START: f64 = 2.0;
pub const EASE_MIN: f64 = 1.3;
pub const EASE_MAX: f64 = 2.5;
pub const MAX_INTERVAL_DAYS: u32 = 21;
pub const MAINTENANCE_DAYS: u32 = 30;
/// Unanswered nudges in a row, across tracks, before tend asks to keep going.
pub const MISS_THRESHOLD: u32 = 3;
/// "Remind me tomorrow" brings the nudge back no sooner than this.
pub const SNOOZE_AT_LEAST: Duration = Duration::hours(20);

const EASE_DONE: f64 = 0.10;
const EASE_PARTLY: f64 = -0.15;
const EASE_NOT_YET: f64 = -0.20;
const TRANSPARENCY_TAPER: f64 = 1.5;

/// What the engine remembers about one habit of one subscriber.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackState {
    pub interval_days: u32,
    pub ease: f64,
    pub streak: u32,
    pub misses: u32,
    pub graduated: bool,
}

impl TrackState {
    pub fn new(track: Track) -> Self {
        Self { interval_days: track.starting_interval_days(), ease: EASE_START, streak: 0, misses: 0, graduated: false }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Done,
    Partly,
    NotYet,
    Snooze,
    /// The nudge's answer window closed without an answer.
    Expired,
    /// The subscriber came back after resting.
    Resume,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub state: TrackState,
    pub next_due: DateTime<Utc>,
}

/// The largest interval a track can have in its current phase.
pub fn max_interval(state: &TrackState) -> u32 {
    if state.graduated { MAINTENANCE_DAYS } else { MAX_INTERVAL_DAYS }
}

fn graduation_streak(track: Track) -> u32 {
    if track == Track::Transparency { 4 } else { 6 }
}

/// Applies one event. `anchor` is the slot of the nudge the event is about
/// (for `Resume`, any instant: the next slot is counted from `now`).
pub fn step(
    track: Track,
    state: &TrackState,
    event: Event,
    anchor: DateTime<Utc>,
    now: DateTime<Utc>,
    slots: &Slots,
) -> Step {
    let start = track.starting_interval_days();
    let mut next = state.clone();
    match event {
        Event::Done => {
            next.streak += 1;
            next.misses = 0;
            if state.graduated {
                next.interval_days = MAINTENANCE_DAYS;
            } else {
                let taper = if track == Track::Transparency { TRANSPARENCY_TAPER } else { 1.0 };
                let grown = (f64::from(state.interval_days) * state.ease * taper).round() as u32;
                next.interval_days = grown.clamp(start, MAX_INTERVAL_DAYS);
                if next.interval_days == MAX_INTERVAL_DAYS && next.streak >= graduation_streak(track) {
                    next.graduated = true;
                    next.interval_days = MAINTENANCE_DAYS;
                }
            }
            next.ease = (state.ease + EASE_DONE).clamp(EASE_MIN, EASE_MAX);
        }
        Event::Partly => {
            next.misses = 0;
            next.ease = (state.ease + EASE_PARTLY).clamp(EASE_MIN, EASE_MAX);
        }
        Event::NotYet => {
            next.misses = 0;
            next.graduated = false;
            let from = state.interval_days.min(MAX_INTERVAL_DAYS);
            next.interval_days = (from / 2).max(start);
            next.ease = (state.ease + EASE_NOT_YET).clamp(EASE_MIN, EASE_MAX);
        }
        Event::Snooze => {
            next.misses = 0;
            return Step { state: next, next_due: slots.first_at_or_after(now + SNOOZE_AT_LEAST) };
        }
        Event::Expired => next.misses += 1,
        Event::Resume => {
            next.misses = 0;
            next.interval_days = (state.interval_days.min(MAX_INTERVAL_DAYS) / 2).max(start);
            return Step { state: next, next_due: slots.first_after(now) };
        }
    }
    let after = slots.on(slots.local_date(anchor) + Duration::days(i64::from(next.interval_days)));
    let next_due = if after > now { after } else { slots.first_after(now) };
    Step { state: next, next_due }
}

/// True once a subscriber's unanswered nudges in a row reach the threshold.
pub fn should_rest(consecutive_misses: u32) -> bool {
    consecutive_misses >= MISS_THRESHOLD
}

#[cfg(test)]
mod tests;
