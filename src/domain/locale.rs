//! `Locale`: which language a subscriber reads tend in.
//!
//! A short lowercase tag (`en`, `de`, `pt-br`). The catalog is keyed by it;
//! `en` is always complete, and anything a locale lacks falls back to `en`.
//! Subscribers choose among [`Locale::SUPPORTED`]: the locales tend ships
//! complete, in words written for them.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Locale(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocaleError {
    #[error("unknown locale {0:?}: use a lowercase language tag such as en, de or pt-br")]
    Malformed(String),
    #[error("unknown locale {0:?}: choose en, de or es")]
    Unsupported(String),
}

impl Locale {
    /// The locale every subscriber starts with and every text falls back to.
    pub const FALLBACK: &'static str = "en";

    /// What a subscriber can choose: the locales tend ships complete.
    pub const SUPPORTED: [&'static str; 3] = ["en", "de", "es"];

    pub fn en() -> Self {
        Locale(Self::FALLBACK.to_owned())
    }

    /// Two or three letters, optionally `-` and a region of two to eight
    /// letters or digits; upper case is folded (`pt-BR` is `pt-br`).
    pub fn parse(input: &str) -> Result<Self, LocaleError> {
        let tag = input.trim().to_ascii_lowercase().replace('_', "-");
        let (language, region) = tag.split_once('-').map_or((tag.as_str(), None), |(l, r)| (l, Some(r)));
        let language_ok = (2..=3).contains(&language.len()) && language.chars().all(|c| c.is_ascii_lowercase());
        let region_ok = region.is_none_or(|r| {
            (2..=8).contains(&r.len()) && r.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        });
        if language_ok && region_ok {
            Ok(Locale(tag))
        } else {
            Err(LocaleError::Malformed(input.chars().take(20).collect()))
        }
    }

    /// One of [`Locale::SUPPORTED`], from what a subscriber (or an
    /// operator for them) typed: a tag with a region reads as its language
    /// (`de-AT` is `de`).
    pub fn parse_supported(input: &str) -> Result<Self, LocaleError> {
        let unknown = || LocaleError::Unsupported(input.chars().take(20).collect());
        let tag = Self::parse(input).map_err(|_| unknown())?;
        let language = tag.0.split('-').next().unwrap_or_default();
        Self::SUPPORTED.iter().find(|s| **s == language).map(|s| Locale((*s).to_owned())).ok_or_else(unknown)
    }

    /// The language part of the tag (`de` for `de-ch`).
    pub fn language(&self) -> &str {
        self.0.split('-').next().unwrap_or_default()
    }

    pub fn is_supported(&self) -> bool {
        Self::SUPPORTED.contains(&self.0.as_str())
    }

    /// Reads a stored locale; anything unreadable is served in `en`.
    pub fn or_en(input: &str) -> Self {
        Self::parse(input).unwrap_or_else(|_| Self::en())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_en(&self) -> bool {
        self.0 == Self::FALLBACK
    }
}

impl Default for Locale {
    fn default() -> Self {
        Self::en()
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_short_lowercase_and_folded() {
        assert_eq!(Locale::parse("en").unwrap().as_str(), "en");
        assert_eq!(Locale::parse(" pt-BR ").unwrap().as_str(), "pt-br");
        assert_eq!(Locale::parse("de_AT").unwrap().as_str(), "de-at");
        for bad in ["", "e", "english", "en-", "en-x", "e1", "en-GB-oxford", "<script>"] {
            assert!(Locale::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Locale::or_en("??"), Locale::en());
    }
}
