//! The planning rule: which due tracks become nudges, and when each comes next.
//!
//! Pure: it takes a subscriber's due tracks, the nudges already planned for
//! them and `now`, and returns one decision per due track. The rule:
//! - tracks are taken most overdue first (ties in catalog order);
//! - a track whose slot is more than `stale_after` in the past is not sent
//!   late at night: it moves to the next slot after `now`;
//! - a local day holds at most `max_per_day` nudges; a due track that does not
//!   fit moves on to the next day's slot, keeping its place in the queue by
//!   being the most overdue tomorrow;
//! - a nudge that goes out schedules its track `interval_days` local days
//!   later, at the preferred time (the plain rule; answers adjust it elsewhere).

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::{Slots, Track};

/// A track whose next slot has come.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueTrack {
    pub track: Track,
    pub due_at: DateTime<Utc>,
    pub interval_days: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Plan a nudge for `slot`; the track is next due at `next_due`.
    Send { track: Track, slot: DateTime<Utc>, next_due: DateTime<Utc> },
    /// The day is full: try again at `next_due`.
    MoveOn { track: Track, next_due: DateTime<Utc> },
    /// The slot passed too long ago: skip it, next slot is `next_due`.
    Stale { track: Track, next_due: DateTime<Utc> },
}

impl Decision {
    pub fn track(&self) -> Track {
        match self {
            Decision::Send { track, .. } | Decision::MoveOn { track, .. } | Decision::Stale { track, .. } => *track,
        }
    }

    pub fn next_due(&self) -> DateTime<Utc> {
        match self {
            Decision::Send { next_due, .. } | Decision::MoveOn { next_due, .. } | Decision::Stale { next_due, .. } => {
                *next_due
            }
        }
    }
}

/// The limits that apply to one subscriber's planning.
#[derive(Debug, Clone, Copy)]
pub struct PlanLimits {
    pub max_per_day: u32,
    pub stale_after: Duration,
}

/// Decides every due track of one subscriber. `planned` holds the slots of
/// nudges already planned for them (recent ones suffice: today and later).
pub fn plan_due_tracks(
    slots: &Slots,
    limits: PlanLimits,
    planned: &[DateTime<Utc>],
    mut due: Vec<DueTrack>,
    now: DateTime<Utc>,
) -> Vec<Decision> {
    due.sort_by_key(|d| (d.due_at, d.track));
    let mut per_day: HashMap<NaiveDate, u32> = HashMap::new();
    for slot in planned {
        *per_day.entry(slots.local_date(*slot)).or_default() += 1;
    }
    due.into_iter()
        .map(|d| {
            if now - d.due_at > limits.stale_after {
                return Decision::Stale { track: d.track, next_due: slots.first_after(now) };
            }
            let day = slots.local_date(d.due_at);
            let count = per_day.entry(day).or_default();
            if *count >= limits.max_per_day {
                return Decision::MoveOn { track: d.track, next_due: slots.on(day + Duration::days(1)) };
            }
            *count += 1;
            let next_day = day + Duration::days(i64::from(d.interval_days.max(1)));
            Decision::Send { track: d.track, slot: d.due_at, next_due: slots.on(next_day) }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{TimeOfDay, TimeZone};

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn slots() -> Slots {
        Slots { zone: TimeZone::parse("Europe/Berlin").unwrap(), time: TimeOfDay::DEFAULT, jitter: Duration::zero() }
    }

    const LIMITS: PlanLimits = PlanLimits { max_per_day: 1, stale_after: Duration::hours(3) };

    fn due(track: Track, at: &str) -> DueTrack {
        DueTrack { track, due_at: utc(at), interval_days: track.starting_interval_days() }
    }

    #[test]
    fn a_due_track_is_sent_and_comes_back_after_its_interval() {
        let d = plan_due_tracks(
            &slots(),
            LIMITS,
            &[],
            vec![due(Track::CheckIn, "2026-01-15T07:30:00Z")],
            utc("2026-01-15T07:31:00Z"),
        );
        assert_eq!(
            d,
            vec![Decision::Send {
                track: Track::CheckIn,
                slot: utc("2026-01-15T07:30:00Z"),
                next_due: utc("2026-01-18T07:30:00Z"),
            }]
        );
    }

    #[test]
    fn one_nudge_per_local_day_the_most_overdue_first_and_the_rest_move_on() {
        let d = plan_due_tracks(
            &slots(),
            LIMITS,
            &[],
            vec![due(Track::Transparency, "2026-01-15T07:30:00Z"), due(Track::CheckIn, "2026-01-15T07:30:00Z")],
            utc("2026-01-15T07:30:00Z"),
        );
        assert!(matches!(d[0], Decision::Send { track: Track::CheckIn, .. }));
        assert_eq!(d[1], Decision::MoveOn { track: Track::Transparency, next_due: utc("2026-01-16T07:30:00Z") });
    }

    #[test]
    fn a_day_that_already_had_its_nudge_takes_no_more() {
        let d = plan_due_tracks(
            &slots(),
            LIMITS,
            &[utc("2026-01-15T07:30:00Z")],
            vec![due(Track::Support, "2026-01-15T07:30:00Z")],
            utc("2026-01-15T08:00:00Z"),
        );
        assert!(matches!(d[0], Decision::MoveOn { .. }));
        let more = PlanLimits { max_per_day: 2, ..LIMITS };
        let d = plan_due_tracks(
            &slots(),
            more,
            &[utc("2026-01-15T07:30:00Z")],
            vec![due(Track::Support, "2026-01-15T07:30:00Z")],
            utc("2026-01-15T08:00:00Z"),
        );
        assert!(matches!(d[0], Decision::Send { .. }));
    }

    #[test]
    fn a_stale_slot_moves_to_the_next_slot_instead_of_going_out_late() {
        let d = plan_due_tracks(
            &slots(),
            LIMITS,
            &[],
            vec![due(Track::CheckIn, "2026-01-15T07:30:00Z")],
            utc("2026-01-15T21:00:00Z"),
        );
        assert_eq!(d, vec![Decision::Stale { track: Track::CheckIn, next_due: utc("2026-01-16T07:30:00Z") }]);
    }
}
