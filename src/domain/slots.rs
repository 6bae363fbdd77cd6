//! Delivery slots: where a subscriber's local wall-clock time becomes UTC.
//!
//! This is the one place local time is converted. A slot is
//! the preferred local time on a local date, converted with these rules, then
//! shifted by the subscriber's fixed jitter:
//! - a local time that does not exist (spring-forward gap) moves forward to the
//!   next valid instant, which is the transition itself (02:30 in New York on
//!   the spring change becomes 03:00 EDT);
//! - an ambiguous local time (fall-back fold) takes the earlier instant;
//! - the jitter is a deterministic per-subscriber offset in `[0, max)`, so a
//!   million 08:30 subscribers do not reach the relay in the same second, and a
//!   subscriber's own slots stay evenly spaced.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone as _, Utc, Weekday,
};
use chrono_tz::Tz;

use super::{TimeOfDay, TimeZone};

/// Converts a local wall time to the instant it names, by the rules above.
pub fn local_to_utc(date: NaiveDate, time: NaiveTime, zone: TimeZone) -> DateTime<Utc> {
    let wall = date.and_time(time);
    match zone.tz().from_local_datetime(&wall) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(earlier, _later) => earlier.with_timezone(&Utc),
        LocalResult::None => first_instant_after_gap(wall, zone.tz()),
    }
}

/// Every real transition is minute-aligned and shorter than a day, so the
/// first wall-clock minute after `wall` that exists is where the gap ends.
/// (Checked: a wall time at the end of chrono's calendar has no later minute.)
fn first_instant_after_gap(wall: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    (1..=24 * 60)
        .map_while(|m| wall.checked_add_signed(Duration::minutes(m)))
        .find_map(|w| tz.from_local_datetime(&w).earliest())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| wall.and_utc())
}

/// A stable offset in `[0, max)` derived from the subscriber id.
pub fn jitter_for(subscriber_id: i64, max: Duration) -> Duration {
    let max_secs = max.num_seconds();
    if max_secs <= 0 {
        return Duration::zero();
    }
    Duration::seconds((splitmix64(subscriber_id as u64) % max_secs as u64) as i64)
}

/// A well-mixed hash so that neighbouring ids get unrelated offsets.
fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// One subscriber's delivery rhythm: zone, preferred time and jitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slots {
    pub zone: TimeZone,
    pub time: TimeOfDay,
    pub jitter: Duration,
}

impl Slots {
    /// The slot on a given local date.
    pub fn on(&self, date: NaiveDate) -> DateTime<Utc> {
        local_to_utc(date, self.time.naive(), self.zone) + self.jitter
    }

    /// The local date a slot instant belongs to (jitter removed first, so a
    /// 23:58 slot jittered past midnight still counts for its own day).
    pub fn local_date(&self, instant: DateTime<Utc>) -> NaiveDate {
        (instant - self.jitter).with_timezone(&self.zone.tz()).date_naive()
    }

    /// The local date of an arbitrary instant, as the subscriber's calendar shows it.
    pub fn calendar_date(&self, instant: DateTime<Utc>) -> NaiveDate {
        instant.with_timezone(&self.zone.tz()).date_naive()
    }

    /// The earliest slot strictly after `instant`.
    pub fn first_after(&self, instant: DateTime<Utc>) -> DateTime<Utc> {
        let start = self.local_date(instant) - Duration::days(1);
        start.iter_days().map(|d| self.on(d)).find(|slot| *slot > instant).expect("a later slot always exists")
    }

    /// The earliest slot at or after `instant`.
    pub fn first_at_or_after(&self, instant: DateTime<Utc>) -> DateTime<Utc> {
        self.first_after(instant - Duration::seconds(1))
    }

    /// The first slot after `after` that falls on a local `weekday` (the
    /// weekly summary's Sunday).
    pub fn first_on_weekday_after(&self, weekday: Weekday, after: DateTime<Utc>) -> DateTime<Utc> {
        let mut slot = self.first_after(after);
        while self.local_date(slot).weekday() != weekday {
            slot = self.first_after(slot);
        }
        slot
    }
}

/// The scheduling settings every state change needs.
#[derive(Debug, Clone, Copy)]
pub struct Scheduling {
    /// Largest per-subscriber slot offset (`schedule.jitter`).
    pub jitter: Duration,
}

impl Scheduling {
    /// One subscriber's rhythm: their zone and time, and their own jitter.
    pub fn slots_for(&self, subscriber_id: i64, zone: TimeZone, time: TimeOfDay) -> Slots {
        Slots { zone, time, jitter: jitter_for(subscriber_id, self.jitter) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(name: &str) -> TimeZone {
        TimeZone::parse(name).unwrap()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn time(s: &str) -> NaiveTime {
        TimeOfDay::parse(s).unwrap().naive()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn ordinary_local_times_convert_with_the_zone_offset() {
        assert_eq!(local_to_utc(date(2026, 1, 15), time("08:30"), zone("Europe/Berlin")), utc("2026-01-15T07:30:00Z"));
        assert_eq!(local_to_utc(date(2026, 7, 15), time("08:30"), zone("Europe/Berlin")), utc("2026-07-15T06:30:00Z"));
    }

    #[test]
    fn a_time_in_the_spring_forward_gap_moves_to_the_end_of_the_gap() {
        // New York skips 02:00-03:00 on 2026-03-08; 03:00 EDT is 07:00 UTC.
        assert_eq!(
            local_to_utc(date(2026, 3, 8), time("02:30"), zone("America/New_York")),
            utc("2026-03-08T07:00:00Z")
        );
        // Berlin skips 02:00-03:00 on 2026-03-29; 03:00 CEST is 01:00 UTC.
        assert_eq!(local_to_utc(date(2026, 3, 29), time("02:15"), zone("Europe/Berlin")), utc("2026-03-29T01:00:00Z"));
        // Lord Howe skips 02:00-02:30 on 2026-10-04 (+10:30 to +11:00).
        assert_eq!(
            local_to_utc(date(2026, 10, 4), time("02:10"), zone("Australia/Lord_Howe")),
            utc("2026-10-03T15:30:00Z")
        );
    }

    #[test]
    fn a_time_in_the_fall_back_fold_takes_the_earlier_instant() {
        // New York repeats 01:00-02:00 on 2026-11-01; the earlier 01:30 is EDT (UTC-4).
        assert_eq!(
            local_to_utc(date(2026, 11, 1), time("01:30"), zone("America/New_York")),
            utc("2026-11-01T05:30:00Z")
        );
        // Berlin repeats 02:00-03:00 on 2026-10-25; the earlier 02:30 is CEST (UTC+2).
        assert_eq!(local_to_utc(date(2026, 10, 25), time("02:30"), zone("Europe/Berlin")), utc("2026-10-25T00:30:00Z"));
        // Lord Howe repeats 01:30-02:00 on 2026-04-05; the earlier 01:45 is +11:00.
        assert_eq!(
            local_to_utc(date(2026, 4, 5), time("01:45"), zone("Australia/Lord_Howe")),
            utc("2026-04-04T14:45:00Z")
        );
    }

    #[test]
    fn jitter_is_stable_bounded_and_can_be_switched_off() {
        let max = Duration::minutes(5);
        for id in 0..1000 {
            let j = jitter_for(id, max);
            assert!(j >= Duration::zero() && j < max);
            assert_eq!(j, jitter_for(id, max));
        }
        assert_eq!(jitter_for(7, Duration::zero()), Duration::zero());
        let distinct: std::collections::HashSet<_> = (0..100).map(|id| jitter_for(id, max)).collect();
        assert!(distinct.len() > 50, "offsets should spread out");
    }

    #[test]
    fn the_first_slot_is_today_if_still_ahead_otherwise_tomorrow() {
        let slots =
            Slots { zone: zone("Europe/Berlin"), time: TimeOfDay::parse("08:30").unwrap(), jitter: Duration::zero() };
        assert_eq!(slots.first_after(utc("2026-01-15T06:00:00Z")), utc("2026-01-15T07:30:00Z"));
        assert_eq!(slots.first_after(utc("2026-01-15T07:30:00Z")), utc("2026-01-16T07:30:00Z"));
        assert_eq!(slots.first_at_or_after(utc("2026-01-15T07:30:00Z")), utc("2026-01-15T07:30:00Z"));
        assert_eq!(slots.first_after(utc("2026-01-15T23:30:00Z")), utc("2026-01-16T07:30:00Z"));
    }

    #[test]
    fn jittered_slots_keep_their_local_date() {
        let slots =
            Slots { zone: TimeZone::UTC, time: TimeOfDay::parse("23:58").unwrap(), jitter: Duration::minutes(4) };
        let slot = slots.on(date(2026, 5, 1));
        assert_eq!(slot, utc("2026-05-02T00:02:00Z"));
        assert_eq!(slots.local_date(slot), date(2026, 5, 1));
        assert_eq!(slots.first_after(slot), utc("2026-05-03T00:02:00Z"));
    }

    #[test]
    fn slots_stay_at_the_local_time_across_a_dst_change() {
        let slots = Slots {
            zone: zone("America/New_York"),
            time: TimeOfDay::parse("08:30").unwrap(),
            jitter: Duration::zero(),
        };
        assert_eq!(slots.on(date(2026, 3, 7)), utc("2026-03-07T13:30:00Z"));
        assert_eq!(slots.on(date(2026, 3, 8)), utc("2026-03-08T12:30:00Z"));
        assert_eq!(slots.first_after(utc("2026-03-07T13:30:00Z")), utc("2026-03-08T12:30:00Z"));
    }

    /// An independent computation that only converts UTC to local time:
    /// walk minute by minute and take the first instant showing the wall
    /// time, or, if none does (a gap), the first one showing a later time.
    fn brute_force(date: NaiveDate, time: NaiveTime, zone: TimeZone) -> DateTime<Utc> {
        let wall = date.and_time(time);
        // Centre the walk on the offset in force at noon UTC that day.
        let noon = date.and_hms_opt(12, 0, 0).unwrap().and_utc();
        let offset = noon.with_timezone(&zone.tz()).naive_local() - noon.naive_utc();
        let start = (wall - offset - Duration::hours(3)).and_utc();
        let mut first_later = None;
        for minute in 0..(6 * 60) {
            let instant = start + Duration::minutes(minute);
            let local = instant.with_timezone(&zone.tz()).naive_local();
            if local == wall {
                return instant;
            }
            if local > wall && first_later.is_none() {
                first_later = Some(instant);
            }
        }
        first_later.expect("a later instant within three hours")
    }

    proptest::proptest! {
        #[test]
        fn conversion_agrees_with_a_brute_force_search_in_real_zones(
            zone in proptest::sample::select(vec![
                "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Pacific/Chatham", "America/Santiago", "UTC",
            ]),
            day in 0i64..(365 * 4),
            minutes in 0u32..(24 * 60),
        ) {
            let zone = TimeZone::parse(zone).unwrap();
            let date = date(2025, 1, 1) + Duration::days(day);
            let time = NaiveTime::from_hms_opt(minutes / 60, minutes % 60, 0).unwrap();
            proptest::prop_assert_eq!(local_to_utc(date, time, zone), brute_force(date, time, zone));
        }
    }

    #[test]
    fn every_day_at_transition_times_agrees_with_the_brute_force_search() {
        for zone in ["America/New_York", "Europe/Berlin", "Australia/Lord_Howe"] {
            let zone = TimeZone::parse(zone).unwrap();
            for date in date(2026, 1, 1).iter_days().take(365) {
                for (h, m) in [(0, 30), (1, 30), (1, 45), (2, 0), (2, 10), (2, 30), (3, 0)] {
                    let time = NaiveTime::from_hms_opt(h, m, 0).unwrap();
                    assert_eq!(local_to_utc(date, time, zone), brute_force(date, time, zone), "{zone} {date} {time}");
                }
            }
        }
    }
}
