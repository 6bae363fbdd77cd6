//! Promises: a subscriber's own commitments and the two mails each causes.
//!
//! A promise ("pick up the kids on Thursday") has a due instant in the
//! subscriber's zone. tend asks "still realistic?" ahead of it, at the
//! subscriber's preferred time on the last day that is at least the
//! configured lead before the due instant, so never at night; and "did it
//! happen?" at the first preferred-time slot after it. The answer feeds the
//! follow-through track: kept counts as done, kept late or renegotiated early
//! as partly, not kept as not yet. Renegotiating early is the honest path and
//! is never treated as a failure.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};

use super::engine::Event;
use super::slots::local_to_utc;
use super::{Slots, TimeZone};

pub const MAX_TEXT_CHARS: usize = 200;
/// A promise further ahead than this is a plan, not a promise.
pub const MAX_AHEAD: Duration = Duration::days(366);

/// The words of a promise: one line, 1 to 200 characters.
#[derive(Clone, PartialEq, Eq)]
pub struct PromiseText(String);

impl std::fmt::Debug for PromiseText {
    /// Personal words never reach a log, even through `{:?}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PromiseText(..)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PromiseError {
    #[error("write down what you promised")]
    EmptyText,
    #[error("please keep the promise to {MAX_TEXT_CHARS} characters")]
    TextTooLong,
    #[error("the promise must be a single line of ordinary text")]
    ControlCharacters,
    #[error("{0:?} is not a date: use YYYY-MM-DD")]
    BadDate(String),
    #[error("that time is already past: choose a due time in the future")]
    InThePast,
    #[error("that is more than a year away: choose a nearer due date")]
    TooFarAhead,
}

impl PromiseText {
    pub fn parse(input: &str) -> Result<Self, PromiseError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(PromiseError::EmptyText);
        }
        if text.chars().count() > MAX_TEXT_CHARS {
            return Err(PromiseError::TextTooLong);
        }
        if text.chars().any(char::is_control) {
            return Err(PromiseError::ControlCharacters);
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The local date a promise is due: `YYYY-MM-DD`, in a range where every
/// time zone conversion is exact (and far from chrono's limits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueDate(NaiveDate);

impl DueDate {
    pub fn parse(input: &str) -> Result<Self, PromiseError> {
        let bad = || PromiseError::BadDate(input.chars().take(20).collect());
        let date = NaiveDate::parse_from_str(input.trim(), "%Y-%m-%d").map_err(|_| bad())?;
        // Four-digit years only: a promise further ahead is refused later
        // anyway, and extreme years would overflow the conversion.
        if !(1000..=9999).contains(&date.year()) {
            return Err(bad());
        }
        Ok(Self(date))
    }

    pub fn date(self) -> NaiveDate {
        self.0
    }
}

/// The instant a local due date and time name in `zone`, checked to be
/// ahead of `now` but not absurdly far.
pub fn due_instant(
    date: DueDate,
    time: NaiveTime,
    zone: TimeZone,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, PromiseError> {
    let due = local_to_utc(date.0, time, zone);
    if due <= now {
        return Err(PromiseError::InThePast);
    }
    if due - now > MAX_AHEAD {
        return Err(PromiseError::TooFarAhead);
    }
    Ok(due)
}

/// When to ask "still realistic?": the preferred-time slot on the last local
/// day whose slot is at least `lead` before `due`. `None` if that moment has
/// passed (a promise made for the next few hours gets no reminder).
pub fn check_at(due: DateTime<Utc>, lead: Duration, slots: &Slots, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let latest = due - lead;
    let day = slots.local_date(latest);
    let slot = [day, day - Duration::days(1)].into_iter().map(|d| slots.on(d)).find(|s| *s <= latest)?;
    (slot > now).then_some(slot)
}

/// When to ask "did it happen?": the first preferred-time slot after `due`.
pub fn review_at(due: DateTime<Utc>, slots: &Slots) -> DateTime<Utc> {
    slots.first_after(due)
}

/// The answer to "still realistic?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckAnswer {
    OnTrack,
    /// "I need to say it early": the page shows a short script for it.
    SayEarly,
}

/// The answer to "did it happen?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Kept,
    KeptLate,
    /// Renegotiated early: said so before the due time.
    Renegotiated,
    NotKept,
}

impl CheckAnswer {
    pub const ALL: [CheckAnswer; 2] = [CheckAnswer::OnTrack, CheckAnswer::SayEarly];

    pub fn key(self) -> &'static str {
        match self {
            CheckAnswer::OnTrack => "on_track",
            CheckAnswer::SayEarly => "say_early",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.key() == key.trim())
    }
}

impl Outcome {
    pub const ALL: [Outcome; 4] = [Outcome::Kept, Outcome::KeptLate, Outcome::Renegotiated, Outcome::NotKept];

    pub fn key(self) -> &'static str {
        match self {
            Outcome::Kept => "kept",
            Outcome::KeptLate => "kept_late",
            Outcome::Renegotiated => "renegotiated",
            Outcome::NotKept => "not_kept",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.key() == key.trim())
    }

    /// What the outcome tells the follow-through track.
    pub fn event(self) -> Event {
        match self {
            Outcome::Kept => Event::Done,
            Outcome::KeptLate | Outcome::Renegotiated => Event::Partly,
            Outcome::NotKept => Event::NotYet,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::TimeOfDay;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn berlin() -> Slots {
        Slots { zone: TimeZone::parse("Europe/Berlin").unwrap(), time: TimeOfDay::DEFAULT, jitter: Duration::zero() }
    }

    #[test]
    fn promise_text_is_one_short_line() {
        assert_eq!(PromiseText::parse("  call at lunch ").unwrap().as_str(), "call at lunch");
        assert_eq!(PromiseText::parse(" "), Err(PromiseError::EmptyText));
        assert_eq!(PromiseText::parse(&"x".repeat(201)), Err(PromiseError::TextTooLong));
        assert_eq!(PromiseText::parse("a\nb"), Err(PromiseError::ControlCharacters));
        assert_eq!(format!("{:?}", PromiseText::parse("secret").unwrap()), "PromiseText(..)");
    }

    #[test]
    fn due_times_are_local_future_and_within_a_year() {
        let zone = TimeZone::parse("Europe/Berlin").unwrap();
        let six_pm = NaiveTime::from_hms_opt(18, 0, 0).unwrap();
        let now = utc("2026-03-10T12:00:00Z");
        let due = |date: &str| due_instant(DueDate::parse(date)?, six_pm, zone, now);
        assert_eq!(due("2026-03-12"), Ok(utc("2026-03-12T17:00:00Z")));
        assert_eq!(due("2026-03-09"), Err(PromiseError::InThePast));
        assert_eq!(due("2028-03-09"), Err(PromiseError::TooFarAhead));
        assert!(matches!(DueDate::parse("12/03/2026"), Err(PromiseError::BadDate(_))));
        // Years chrono can parse but a conversion could overflow on.
        assert!(matches!(DueDate::parse("+262142-12-31"), Err(PromiseError::BadDate(_))));
        assert!(matches!(DueDate::parse("0001-01-01"), Err(PromiseError::BadDate(_))));
    }

    #[test]
    fn the_check_comes_at_the_preferred_time_a_day_ahead_never_at_night() {
        let slots = berlin();
        let now = utc("2026-03-01T12:00:00Z");
        // Due Thursday 18:00: asked Wednesday 08:30.
        assert_eq!(
            check_at(utc("2026-03-12T17:00:00Z"), Duration::days(1), &slots, now),
            Some(utc("2026-03-11T07:30:00Z"))
        );
        // Due Thursday 07:00 (before the slot): asked Tuesday 08:30, a full day ahead.
        assert_eq!(
            check_at(utc("2026-03-12T06:00:00Z"), Duration::days(1), &slots, now),
            Some(utc("2026-03-10T07:30:00Z"))
        );
        // Due in a few hours: no reminder.
        assert_eq!(check_at(utc("2026-03-01T18:00:00Z"), Duration::days(1), &slots, now), None);
    }

    #[test]
    fn the_review_is_the_first_slot_after_the_due_time_across_dst() {
        // Berlin springs forward on 2026-03-29; the slot stays at 08:30 local.
        assert_eq!(review_at(utc("2026-03-28T19:00:00Z"), &berlin()), utc("2026-03-29T06:30:00Z"));
    }

    #[test]
    fn outcomes_feed_the_follow_through_track() {
        assert_eq!(Outcome::Kept.event(), Event::Done);
        assert_eq!(Outcome::Renegotiated.event(), Event::Partly);
        assert_eq!(Outcome::NotKept.event(), Event::NotYet);
        assert_eq!(Outcome::parse("kept_late"), Some(Outcome::KeptLate));
        assert_eq!(CheckAnswer::parse("say_early"), Some(CheckAnswer::SayEarly));
    }
}
