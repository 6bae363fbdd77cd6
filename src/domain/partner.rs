//! Partners: the values an invitation is made of, and what it says about
//! who sent it.
//!
//! A subscriber may invite their partner; the invitation names the inviter
//! by the name they typed ([`FromName`]), or as "someone you know", plus the
//! inviter's own address only if they ticked "show my address". Nothing else
//! about the inviter ever reaches the invited person.

use std::fmt;

use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc};

use super::{Locale, SubscriberEmail};

/// The name an invitation shows. Letters, spaces and a few marks only, at
/// most [`FromName::MAX_CHARS`]: it lands in a subject line sent to an
/// address the inviter typed, so it cannot carry a link, an address or
/// anything that reads as more than a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FromName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FromNameError {
    #[error("the name is longer than {} characters", FromName::MAX_CHARS)]
    TooLong,
    #[error("the name may contain letters, spaces, hyphens, apostrophes and dots only")]
    NotAName,
}

impl FromName {
    pub const MAX_CHARS: usize = 40;

    /// `None` for an empty field: the invitation then says "someone you know".
    pub fn parse(input: &str) -> Result<Option<Self>, FromNameError> {
        let name = input.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.is_empty() {
            return Ok(None);
        }
        if name.chars().count() > Self::MAX_CHARS {
            return Err(FromNameError::TooLong);
        }
        if !name.chars().all(|c| c.is_alphabetic() || " -'.".contains(c)) {
            return Err(FromNameError::NotAName);
        }
        Ok(Some(Self(name)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A name read back from the store, where only parsed names are written.
    pub fn from_stored(name: String) -> Self {
        Self(name)
    }
}

impl fmt::Display for FromName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who an invitation says it is from: the `{from_name}` of its words.
pub fn invited_by(name: Option<&FromName>, shown_address: Option<&SubscriberEmail>, locale: &Locale) -> String {
    let who = match name {
        Some(name) => name.as_str().to_owned(),
        None => someone_you_know(locale).to_owned(),
    };
    match shown_address {
        Some(address) => format!("{who} ({address})"),
        None => who,
    }
}

/// How an invitation names an inviter who gave no name, in the locales tend
/// ships (others read English, like the rest of the catalog's fallback).
fn someone_you_know(locale: &Locale) -> &'static str {
    match locale.language() {
        "de" => "Jemand, den du kennst,",
        "es" => "Alguien que conoces",
        _ => "Someone you know",
    }
}

/// The week a shared signal is about: the last whole week before `now`,
/// Monday 00:00 to Monday 00:00 in UTC, one clock for two partners who may
/// live in different zones. `(start, end)`, end exclusive.
pub fn last_full_week(now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let today = now.date_naive();
    let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let end = monday.and_time(NaiveTime::MIN).and_utc();
    (end - Duration::days(7), end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_full_week_ends_on_the_monday_before() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        // A Wednesday, a Monday's first second, a Sunday's last.
        assert_eq!(
            last_full_week(at("2027-01-06T12:00:00Z")),
            (at("2026-12-28T00:00:00Z"), at("2027-01-04T00:00:00Z"))
        );
        assert_eq!(
            last_full_week(at("2027-01-04T00:00:00Z")),
            (at("2026-12-28T00:00:00Z"), at("2027-01-04T00:00:00Z"))
        );
        assert_eq!(
            last_full_week(at("2027-01-03T23:59:59Z")),
            (at("2026-12-21T00:00:00Z"), at("2026-12-28T00:00:00Z"))
        );
    }

    #[test]
    fn names_are_trimmed_and_empty_means_none() {
        assert_eq!(FromName::parse("  Sam   Lee "), Ok(Some(FromName("Sam Lee".into()))));
        assert_eq!(FromName::parse("   "), Ok(None));
        assert_eq!(FromName::parse("Zoë O'Neill-Díaz"), Ok(Some(FromName("Zoë O'Neill-Díaz".into()))));
    }

    #[test]
    fn links_addresses_and_long_text_are_not_names() {
        assert_eq!(FromName::parse("see https://x.example"), Err(FromNameError::NotAName));
        assert_eq!(FromName::parse("sam@example.org"), Err(FromNameError::NotAName));
        assert_eq!(FromName::parse(&"a".repeat(41)), Err(FromNameError::TooLong));
    }

    #[test]
    fn the_address_shows_only_when_given() {
        let en = Locale::en();
        let address = SubscriberEmail::parse("sam@example.org").unwrap();
        assert_eq!(invited_by(None, None, &en), "Someone you know");
        assert_eq!(invited_by(None, Some(&address), &en), "Someone you know (sam@example.org)");
        let name = FromName::parse("Sam").unwrap();
        assert_eq!(invited_by(name.as_ref(), None, &en), "Sam");
    }
}
