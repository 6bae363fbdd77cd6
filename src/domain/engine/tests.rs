//! Rule tables with fixed instants, and properties over any answer sequence.

use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};
use proptest::prelude::*;

use super::*;
use crate::domain::{TimeOfDay, TimeZone};

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn slots() -> Slots {
    Slots { zone: TimeZone::parse("Europe/Berlin").unwrap(), time: TimeOfDay::DEFAULT, jitter: Duration::zero() }
}

/// The nudge went out at 08:30 Berlin on 15 January; answered at noon.
const ANCHOR: &str = "2026-01-15T07:30:00Z";
const NOON: &str = "2026-01-15T11:00:00Z";

fn state(interval_days: u32, ease: f64, streak: u32) -> TrackState {
    TrackState { interval_days, ease, streak, misses: 0, graduated: false }
}

fn run(track: Track, s: &TrackState, event: Event) -> Step {
    step(track, s, event, utc(ANCHOR), utc(NOON), &slots())
}

#[test]
fn done_widens_by_the_ease_and_grows_the_streak() {
    let out = run(Track::CheckIn, &state(3, 2.0, 2), Event::Done);
    assert_eq!(out.state, state(6, 2.1, 3));
    assert_eq!(out.next_due, utc("2026-01-21T07:30:00Z"));
}

#[test]
fn done_never_passes_the_maximum_interval() {
    let out = run(Track::CheckIn, &state(15, 2.5, 1), Event::Done);
    assert_eq!(out.state.interval_days, MAX_INTERVAL_DAYS);
    assert_eq!(out.state.ease, EASE_MAX);
}

#[test]
fn partly_keeps_the_interval_and_lowers_the_ease() {
    let out = run(Track::Patience, &state(8, 2.0, 4), Event::Partly);
    assert_eq!(out.state, state(8, 1.85, 4));
    assert_eq!(out.next_due, utc("2026-01-23T07:30:00Z"));
}

#[test]
fn not_yet_halves_the_interval_but_not_below_the_start_and_keeps_the_streak() {
    let out = run(Track::Patience, &state(12, 2.0, 5), Event::NotYet);
    assert_eq!(out.state, state(6, 1.8, 5));
    let out = run(Track::Patience, &state(5, 1.35, 5), Event::NotYet);
    assert_eq!(out.state, state(4, EASE_MIN, 5), "never below 4 days or ease 1.3");
}

#[test]
fn snooze_changes_nothing_and_comes_back_at_least_twenty_hours_later() {
    let before = state(3, 2.0, 2);
    let out = run(Track::CheckIn, &before, Event::Snooze);
    assert_eq!(out.state, before);
    // Answered at noon: 08:30 tomorrow is only 20.5 h away, so it qualifies.
    assert_eq!(out.next_due, utc("2026-01-16T07:30:00Z"));
    // Answered at 14:00: tomorrow 08:30 is 18.5 h away, too soon: the day after.
    let late = step(Track::CheckIn, &before, Event::Snooze, utc(ANCHOR), utc("2026-01-15T13:00:00Z"), &slots());
    assert_eq!(late.next_due, utc("2026-01-17T07:30:00Z"));
}

#[test]
fn an_expired_nudge_counts_a_miss_and_keeps_the_rhythm() {
    let out = run(Track::CheckIn, &state(3, 2.0, 2), Event::Expired);
    assert_eq!(out.state.misses, 1);
    assert_eq!(out.state.interval_days, 3);
    assert_eq!(out.next_due, utc("2026-01-18T07:30:00Z"));
}

#[test]
fn resume_eases_back_in_from_the_next_slot() {
    let mut resting = state(14, 2.2, 7);
    resting.misses = 2;
    let out = run(Track::CheckIn, &resting, Event::Resume);
    assert_eq!(out.state.interval_days, 7);
    assert_eq!(out.state.misses, 0);
    assert_eq!(out.next_due, utc("2026-01-16T07:30:00Z"));
}

#[test]
fn a_long_streak_at_the_maximum_graduates_to_a_monthly_rhythm() {
    let out = run(Track::CheckIn, &state(14, 2.5, 5), Event::Done);
    assert!(out.state.graduated);
    assert_eq!(out.state.interval_days, MAINTENANCE_DAYS);
    assert_eq!(out.next_due, utc("2026-02-14T07:30:00Z"));
    let out = run(Track::CheckIn, &out.state, Event::NotYet);
    assert!(!out.state.graduated);
    assert_eq!(out.state.interval_days, 10);
}

#[test]
fn transparency_tapers_off_sooner_than_the_other_tracks() {
    let dones_to_graduate = |track| {
        let mut state = TrackState::new(track);
        (1..=20).find(|_| {
            state = run(track, &state, Event::Done).state;
            state.graduated
        })
    };
    assert_eq!(dones_to_graduate(Track::Transparency), Some(4));
    assert_eq!(dones_to_graduate(Track::FollowThrough), Some(6));
    assert_eq!(dones_to_graduate(Track::CheckIn), Some(6));
}

#[test]
fn a_due_date_already_past_moves_to_the_next_slot() {
    // Answered two weeks late: anchor + interval is in the past.
    let out = step(
        Track::FollowThrough,
        &state(1, 2.0, 0),
        Event::Partly,
        utc(ANCHOR),
        utc("2026-01-29T20:00:00Z"),
        &slots(),
    );
    assert_eq!(out.next_due, utc("2026-01-30T07:30:00Z"));
}

#[test]
fn three_misses_in_a_row_mean_rest() {
    assert!(!should_rest(2));
    assert!(should_rest(MISS_THRESHOLD));
}

fn any_event() -> impl Strategy<Value = Event> {
    prop_oneof![
        Just(Event::Done),
        Just(Event::Partly),
        Just(Event::NotYet),
        Just(Event::Snooze),
        Just(Event::Expired),
        Just(Event::Resume),
    ]
}

fn any_track() -> impl Strategy<Value = Track> {
    proptest::sample::select(Track::ALL.to_vec())
}

fn any_zone() -> impl Strategy<Value = TimeZone> {
    proptest::sample::select(vec!["America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"])
        .prop_map(|z| TimeZone::parse(z).unwrap())
}

proptest! {
    #[test]
    fn intervals_and_ease_stay_inside_their_bounds_for_any_answers(
        track in any_track(),
        events in proptest::collection::vec(any_event(), 1..80),
    ) {
        let slots = slots();
        let mut state = TrackState::new(track);
        let mut anchor = utc(ANCHOR);
        for event in events {
            let out = step(track, &state, event, anchor, anchor + Duration::hours(2), &slots);
            state = out.state;
            prop_assert!(state.interval_days >= track.starting_interval_days());
            prop_assert!(state.interval_days <= max_interval(&state));
            prop_assert!((EASE_MIN..=EASE_MAX).contains(&state.ease));
            anchor = out.next_due;
        }
    }

    #[test]
    fn the_streak_never_goes_down(track in any_track(), events in proptest::collection::vec(any_event(), 1..60)) {
        let slots = slots();
        let mut state = TrackState::new(track);
        for event in events {
            let before = state.streak;
            state = step(track, &state, event, utc(ANCHOR), utc(NOON), &slots).state;
            prop_assert!(state.streak >= before);
        }
    }

    #[test]
    fn the_next_due_is_in_the_future_and_at_the_preferred_local_time(
        track in any_track(),
        zone in any_zone(),
        event in any_event(),
        minutes in 0u32..(24 * 60),
        day in 0i64..730,
        delay_hours in 0i64..(24 * 20),
        interval in 1u32..=21,
    ) {
        let time = TimeOfDay::from_naive(chrono::NaiveTime::from_hms_opt(minutes / 60, minutes % 60, 0).unwrap());
        let slots = Slots { zone, time, jitter: Duration::zero() };
        let date = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + Duration::days(day);
        let anchor = slots.on(date);
        let now = anchor + Duration::hours(delay_hours);
        let state = TrackState { interval_days: interval.max(track.starting_interval_days()), ..TrackState::new(track) };
        let out = step(track, &state, event, anchor, now, &slots);
        prop_assert!(out.next_due > now);
        let local = out.next_due.with_timezone(&zone.tz());
        // The preferred time, unless that local time did not exist that day (DST gap).
        let exact = local.hour() * 60 + local.minute() == minutes;
        let gap = crate::domain::slots::local_to_utc(local.date_naive(), time.naive(), zone) == out.next_due;
        prop_assert!(exact || gap, "{} not at {}", local, time);
    }
}
