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

    /// The supported locale a browser prefers most, from an
    /// `Accept-Language` header (`de-DE,de;q=0.9,en;q=0.8`): the highest
    /// q-value wins, earlier entries win ties, `q=0` means "not this", and a
    /// region reads as its language. `en` when nothing listed is supported.
    pub fn from_accept_language(header: &str) -> Self {
        let mut best: Option<(f32, Locale)> = None;
        for entry in header.split(',').take(20) {
            let mut parts = entry.split(';');
            let tag = parts.next().unwrap_or_default().trim();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let Ok(locale) = Self::parse_supported(tag) else { continue };
            if q > 0.0 && best.as_ref().is_none_or(|(b, _)| q > *b) {
                best = Some((q, locale));
            }
        }
        best.map_or_else(Self::en, |(_, locale)| locale)
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

    #[test]
    fn accept_language_picks_the_most_wanted_supported_locale() {
        let pick = |header: &str| Locale::from_accept_language(header).as_str().to_owned();
        assert_eq!(pick("de-DE,de;q=0.9,en;q=0.8"), "de");
        assert_eq!(pick("fr-FR, es;q=0.5, de;q=0.4"), "es");
        assert_eq!(pick("en;q=0.3, es-ES;q=0.7"), "es");
        assert_eq!(pick("de;q=0, fr"), "en");
        assert_eq!(pick(""), "en");
        assert_eq!(pick("*"), "en");
    }
}
