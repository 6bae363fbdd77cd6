//! Properties of the whole rhythm, checked by simulation.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate};
use proptest::prelude::*;

use super::*;
use crate::domain::{TimeOfDay, TimeZone};

fn scenario(tracks: Vec<Track>, answers: Vec<Answer>, max_per_day: u32, zone: &str) -> Scenario {
    Scenario {
        tracks,
        slots: Slots { zone: TimeZone::parse(zone).unwrap(), time: TimeOfDay::DEFAULT, jitter: Duration::minutes(3) },
        max_per_day,
        stale_after: Duration::hours(3),
        start: NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
        days: 365,
        answers,
    }
}

fn nudges(h: &[Happening]) -> usize {
    h.iter().filter(|h| matches!(h, Happening::Nudge { .. })).count()
}

/// The bound stated in the README: a subscriber who never answers gets at
/// most `tracks + 3` mails, ever. Each track has at most one unanswered nudge
/// waiting at a time, so by the tick of the third miss at most two nudges
/// have expired before it and at most one per track is waiting: that is
/// `tracks + 2` nudges, then one "keep going?" mail.
fn silent_bound(tracks: usize) -> usize {
    tracks + engine::MISS_THRESHOLD as usize
}

#[test]
fn a_silent_subscriber_gets_three_nudges_and_one_keep_going_mail() {
    let catalog = Catalog::built_in();
    let s = scenario(Track::defaults().iter().collect(), vec![Answer::None], 1, "Europe/Berlin");
    let h = simulate(&s, &catalog);
    assert_eq!(nudges(&h), 3);
    assert!(h.len() <= silent_bound(3));
    assert_eq!(h.len(), 4, "three nudges and the keep-going mail");
    assert!(matches!(h.last(), Some(Happening::KeepGoing { .. })));
}

#[test]
fn a_steady_subscriber_hears_less_and_less_often() {
    let catalog = Catalog::built_in();
    let s = scenario(vec![Track::CheckIn], vec![Answer::Done], 1, "America/New_York");
    let h = simulate(&s, &catalog);
    let day = |h: &Happening| s.slots.local_date(h.at());
    let gaps: Vec<i64> = h.windows(2).map(|w| (day(&w[1]) - day(&w[0])).num_days()).collect();
    assert!(gaps.windows(2).all(|g| g[1] >= g[0]), "{gaps:?}");
    assert_eq!(*gaps.last().unwrap(), 30, "graduated to the monthly rhythm");
    assert!(nudges(&h) < 25);
}

#[test]
fn the_same_text_never_comes_twice_in_a_row_unless_snoozed() {
    let catalog = Catalog::built_in();
    let s = scenario(vec![Track::FollowThrough], vec![Answer::Partly, Answer::NotYet], 1, "UTC");
    let variants: Vec<String> = simulate(&s, &catalog)
        .into_iter()
        .filter_map(|h| if let Happening::Nudge { variant, .. } = h { Some(variant) } else { None })
        .collect();
    assert!(variants.len() > 20);
    assert!(variants.windows(2).all(|w| w[0] != w[1]));
    // All eight texts appear before any repeats.
    let first_round: std::collections::HashSet<_> =
        variants.iter().take(catalog.variants(Track::FollowThrough).len()).collect();
    assert_eq!(first_round.len(), catalog.variants(Track::FollowThrough).len());
}

fn any_answer() -> impl Strategy<Value = Answer> {
    prop_oneof![
        Just(Answer::Done),
        Just(Answer::Partly),
        Just(Answer::NotYet),
        Just(Answer::Snooze),
        Just(Answer::None)
    ]
}

fn any_tracks() -> impl Strategy<Value = Vec<Track>> {
    proptest::sample::subsequence(Track::ALL.to_vec(), 1..=6)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn no_local_day_gets_more_than_max_per_day_nudges(
        tracks in any_tracks(),
        answers in proptest::collection::vec(any_answer(), 1..12),
        max_per_day in 1u32..=3,
        zone in proptest::sample::select(vec!["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Pacific/Auckland"]),
    ) {
        let catalog = Catalog::built_in();
        let s = scenario(tracks, answers, max_per_day, zone);
        let mut per_day: HashMap<NaiveDate, u32> = HashMap::new();
        for h in simulate(&s, &catalog) {
            if let Happening::Nudge { at, .. } = h {
                *per_day.entry(s.slots.local_date(at)).or_default() += 1;
            }
        }
        prop_assert!(per_day.values().all(|n| *n <= max_per_day), "{per_day:?}");
    }

    #[test]
    fn a_silent_subscriber_receives_a_bounded_number_of_mails_in_a_year(
        tracks in any_tracks(),
        max_per_day in 1u32..=5,
    ) {
        let catalog = Catalog::built_in();
        let s = scenario(tracks.clone(), vec![Answer::None], max_per_day, "Europe/Berlin");
        let h = simulate(&s, &catalog);
        prop_assert!(h.len() <= silent_bound(tracks.len()), "{} mails: {h:?}", h.len());
        let rested = matches!(h.last(), Some(Happening::KeepGoing { .. }));
        prop_assert!(rested);
    }
}
