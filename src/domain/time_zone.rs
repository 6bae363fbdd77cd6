//! `TimeZone`: an IANA zone name that chrono-tz knows.
//!
//! The zone database is compiled into the binary, so a zone that parses here
//! converts the same way on every machine, whatever the host's tzdata says.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(chrono_tz::Tz);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown time zone {0:?}: use an IANA name such as Europe/Berlin or America/New_York")]
pub struct TimeZoneError(pub String);

impl TimeZone {
    pub const UTC: TimeZone = TimeZone(chrono_tz::UTC);

    /// Parses an IANA name; an empty input is an error, not a silent UTC.
    pub fn parse(input: &str) -> Result<Self, TimeZoneError> {
        let name = input.trim();
        if name.is_empty() || name.len() > 64 {
            return Err(TimeZoneError(truncate(name)));
        }
        chrono_tz::Tz::from_str(name).map(Self).map_err(|_| TimeZoneError(truncate(name)))
    }

    pub fn tz(&self) -> chrono_tz::Tz {
        self.0
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }
}

/// Keeps error messages readable when someone posts a megabyte as a zone.
fn truncate(name: &str) -> String {
    name.chars().take(64).collect()
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iana_names_parse() {
        assert_eq!(TimeZone::parse("Europe/Berlin").unwrap().name(), "Europe/Berlin");
        assert_eq!(TimeZone::parse(" UTC ").unwrap(), TimeZone::UTC);
        assert_eq!(TimeZone::parse("Australia/Lord_Howe").unwrap().name(), "Australia/Lord_Howe");
    }

    #[test]
    fn unknown_names_are_rejected_by_name() {
        let err = TimeZone::parse("Mars/Olympus").unwrap_err();
        assert!(err.to_string().contains("Mars/Olympus"));
        assert!(TimeZone::parse("").is_err());
        assert!(TimeZone::parse("Europe/Berlin\n").is_ok());
        assert!(TimeZone::parse(&"x".repeat(10_000)).is_err());
    }
}
