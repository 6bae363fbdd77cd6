//! Human durations in configuration: `90s`, `5m`, `3h`, `2d`, or `0s`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Duration(pub std::time::Duration);

impl Duration {
    pub fn parse(input: &str) -> Result<Self, String> {
        let text = input.trim();
        let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let number: u64 =
            number.parse().map_err(|_| format!("{input:?} is not a duration such as 30s, 5m, 3h or 2d"))?;
        let per_unit: u64 = match unit {
            "ms" => return Ok(Self(std::time::Duration::from_millis(number))),
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => {
                return Err(format!("{input:?} has an unknown unit: use ms, s, m, h or d"));
            }
        };
        // A number of days that does not fit in seconds is refused, not wrapped.
        let seconds = number.checked_mul(per_unit).ok_or_else(|| format!("{input:?} is far too long"))?;
        Ok(Self(std::time::Duration::from_secs(seconds)))
    }

    pub fn as_std(self) -> std::time::Duration {
        self.0
    }

    pub fn as_chrono(self) -> chrono::Duration {
        chrono::Duration::from_std(self.0).unwrap_or(chrono::Duration::MAX)
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        match ms {
            0 => write!(f, "0s"),
            _ if ms.is_multiple_of(86_400_000) => write!(f, "{}d", ms / 86_400_000),
            _ if ms.is_multiple_of(3_600_000) => write!(f, "{}h", ms / 3_600_000),
            _ if ms.is_multiple_of(60_000) => write!(f, "{}m", ms / 60_000),
            _ if ms.is_multiple_of(1000) => write!(f, "{}s", ms / 1000),
            _ => write!(f, "{ms}ms"),
        }
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Duration::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_parse_and_print_back() {
        for text in ["0s", "90s", "5m", "3h", "2d", "250ms"] {
            assert_eq!(Duration::parse(text).unwrap().to_string(), text);
        }
        assert_eq!(Duration::parse("60s").unwrap().to_string(), "1m");
    }

    #[test]
    fn bad_durations_name_the_value() {
        assert!(Duration::parse("soon").unwrap_err().contains("soon"));
        assert!(Duration::parse("5 weeks").is_err());
        assert!(Duration::parse("").is_err());
        assert!(Duration::parse("18446744073709551615d").unwrap_err().contains("too long"));
    }
}
