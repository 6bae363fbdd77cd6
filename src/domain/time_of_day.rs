//! `TimeOfDay`: the local wall-clock time a subscriber likes to be nudged at.

use chrono::{NaiveTime, Timelike};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TimeOfDay(NaiveTime);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a time of day: use HH:MM, for example 08:30")]
pub struct TimeOfDayError(pub String);

impl TimeOfDay {
    /// 08:30, the default preferred time.
    pub const DEFAULT: TimeOfDay = TimeOfDay(NaiveTime::from_hms_opt(8, 30, 0).unwrap());

    /// Accepts `H:MM` or `HH:MM` (24-hour clock); browsers' `<input type=time>`
    /// may add `:SS`, which is accepted when it is zero.
    pub fn parse(input: &str) -> Result<Self, TimeOfDayError> {
        let text = input.trim();
        let err = || TimeOfDayError(text.chars().take(16).collect());
        let mut parts = text.split(':');
        let (Some(h), Some(m)) = (parts.next(), parts.next()) else {
            return Err(err());
        };
        let seconds_ok = match parts.next() {
            None => true,
            Some(s) => s == "00" && parts.next().is_none(),
        };
        let is_num = |s: &str, max_len| !s.is_empty() && s.len() <= max_len && s.bytes().all(|b| b.is_ascii_digit());
        if !seconds_ok || !is_num(h, 2) || m.len() != 2 || !is_num(m, 2) {
            return Err(err());
        }
        let (h, m) = (h.parse().map_err(|_| err())?, m.parse().map_err(|_| err())?);
        NaiveTime::from_hms_opt(h, m, 0).map(Self).ok_or_else(err)
    }

    pub fn from_naive(time: NaiveTime) -> Self {
        Self(time.with_second(0).unwrap_or(time).with_nanosecond(0).unwrap_or(time))
    }

    pub fn naive(&self) -> NaiveTime {
        self.0
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0.hour(), self.0.minute())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_times_parse() {
        assert_eq!(TimeOfDay::parse("08:30").unwrap().to_string(), "08:30");
        assert_eq!(TimeOfDay::parse("7:05").unwrap().to_string(), "07:05");
        assert_eq!(TimeOfDay::parse("23:59:00").unwrap().to_string(), "23:59");
        assert_eq!(TimeOfDay::parse("00:00").unwrap().to_string(), "00:00");
    }

    #[test]
    fn nonsense_is_rejected() {
        for bad in ["", "8", "24:00", "12:60", "12:5", "-1:30", "12:30:15", "ab:cd", "12:30pm", "١٢:٣٠", "123:00"] {
            assert!(TimeOfDay::parse(bad).is_err(), "{bad:?}");
        }
    }
}
