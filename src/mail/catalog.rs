//! The nudge catalog: the texts tend sends, one list of variants per track.
//!
//! The built-in catalog (`config/nudges.toml`) is compiled in; operators may
//! point `catalog.path` at their own file. Either way it is validated before
//! the service starts, and an error names the entry and what is wrong with it.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};

use anyhow::Context;
use serde::Deserialize;

use crate::domain::Track;

const BUILT_IN: &str = include_str!("../../config/nudges.toml");
const MAX_SUBJECT_CHARS: usize = 78;
const MAX_BODY_CHARS: usize = 1200;
/// Two variants is the least that lets a track avoid repeating itself.
const MIN_VARIANTS: usize = 2;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nudge {
    pub track: Track,
    pub variant: String,
    pub subject: String,
    /// Plain text; paragraphs separated by a blank line.
    pub body: String,
}

impl Nudge {
    pub fn paragraphs(&self) -> impl Iterator<Item = String> + '_ {
        self.body.split("\n\n").map(|p| p.split_whitespace().collect::<Vec<_>>().join(" ")).filter(|p| !p.is_empty())
    }
}

#[derive(Debug, Clone)]
pub struct Catalog {
    by_track: BTreeMap<Track, Vec<Nudge>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    nudge: Vec<RawNudge>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNudge {
    track: String,
    variant: String,
    subject: String,
    body: String,
}

impl Catalog {
    pub fn built_in() -> Self {
        Self::parse(BUILT_IN).expect("the built-in catalog is valid (checked by a unit test)")
    }

    /// The operator's catalog if `path` is set, else the built-in one.
    pub fn load(path: &str) -> anyhow::Result<Self> {
        if path.trim().is_empty() {
            return Ok(Self::built_in());
        }
        let text = std::fs::read_to_string(path).with_context(|| format!("catalog.path: cannot read {path}"))?;
        Self::parse(&text).with_context(|| format!("catalog {path} is not valid"))
    }

    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let file: CatalogFile = toml::from_str(text).context("not a valid catalog TOML file")?;
        let mut by_track: BTreeMap<Track, Vec<Nudge>> = BTreeMap::new();
        let mut seen = HashSet::new();
        for (index, raw) in file.nudge.into_iter().enumerate() {
            let label = format!("nudge #{} (track {:?}, variant {:?})", index + 1, raw.track, raw.variant);
            let nudge = check_entry(raw).with_context(|| label.clone())?;
            anyhow::ensure!(
                seen.insert((nudge.track, nudge.variant.clone())),
                "nudge #{} (track {}, variant {}): the variant name is used twice",
                index + 1,
                nudge.track,
                nudge.variant
            );
            by_track.entry(nudge.track).or_default().push(nudge);
        }
        for track in Track::ALL {
            let count = by_track.get(&track).map_or(0, Vec::len);
            anyhow::ensure!(
                count >= MIN_VARIANTS,
                "track {track}: has {count} variants, needs at least {MIN_VARIANTS}"
            );
        }
        Ok(Self { by_track })
    }

    pub fn variants(&self, track: Track) -> &[Nudge] {
        self.by_track.get(&track).map_or(&[], Vec::as_slice)
    }

    pub fn nudge(&self, track: Track, variant: &str) -> Option<&Nudge> {
        self.variants(track).iter().find(|n| n.variant == variant)
    }

    /// The variant seen least recently (never seen first, then in catalog
    /// order), and never `last`, so a track does not repeat itself and walks
    /// through all its texts even after the catalog changes.
    pub fn least_recent_variant(
        &self,
        track: Track,
        last_seen: &HashMap<&str, DateTime<Utc>>,
        last: Option<&str>,
    ) -> &Nudge {
        let variants = self.variants(track);
        variants
            .iter()
            .enumerate()
            .filter(|(_, n)| variants.len() < 2 || Some(n.variant.as_str()) != last)
            .min_by_key(|(i, n)| (last_seen.get(n.variant.as_str()).copied(), *i))
            .map_or(&variants[0], |(_, n)| n)
    }

    /// The variant after `last` in catalog order, so a track never shows the
    /// same text twice in a row and walks through all of them.
    pub fn next_variant(&self, track: Track, last: Option<&str>) -> &Nudge {
        let variants = self.variants(track);
        let next =
            last.and_then(|l| variants.iter().position(|n| n.variant == l)).map_or(0, |i| (i + 1) % variants.len());
        &variants[next]
    }
}

fn check_entry(raw: RawNudge) -> anyhow::Result<Nudge> {
    let track = Track::parse(&raw.track)?;
    let variant = raw.variant.trim().to_owned();
    anyhow::ensure!(
        !variant.is_empty()
            && variant.len() <= 40
            && variant.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
        "variant names use lowercase letters, digits and '-' (at most 40)"
    );
    let subject = raw.subject.trim().to_owned();
    anyhow::ensure!(!subject.is_empty(), "subject is empty");
    anyhow::ensure!(
        subject.chars().count() <= MAX_SUBJECT_CHARS,
        "subject is longer than {MAX_SUBJECT_CHARS} characters"
    );
    anyhow::ensure!(!subject.chars().any(char::is_control), "subject contains a line break or control character");
    let body = raw.body.trim().replace("\r\n", "\n");
    anyhow::ensure!(!body.is_empty(), "body is empty");
    anyhow::ensure!(body.chars().count() <= MAX_BODY_CHARS, "body is longer than {MAX_BODY_CHARS} characters");
    anyhow::ensure!(!body.chars().any(|c| c.is_control() && c != '\n'), "body contains a control character");
    Ok(Nudge { track, variant, subject, body })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_catalog_is_valid_and_has_four_or_more_variants_per_track() {
        let catalog = Catalog::parse(BUILT_IN).unwrap();
        for track in Track::ALL {
            assert!(catalog.variants(track).len() >= 4, "{track}");
        }
    }

    #[test]
    fn rotation_never_repeats_the_last_variant() {
        let catalog = Catalog::built_in();
        let mut last: Option<String> = None;
        for _ in 0..20 {
            let next = catalog.next_variant(Track::CheckIn, last.as_deref()).variant.clone();
            assert_ne!(Some(&next), last.as_ref());
            last = Some(next);
        }
    }

    #[test]
    fn the_least_recently_seen_variant_comes_next_and_never_the_last_one() {
        let catalog = Catalog::built_in();
        let variants: Vec<&str> = catalog.variants(Track::Support).iter().map(|n| n.variant.as_str()).collect();
        let t = |d| DateTime::parse_from_rfc3339(d).unwrap().with_timezone(&Utc);
        let mut seen: HashMap<&str, DateTime<Utc>> = HashMap::new();
        assert_eq!(catalog.least_recent_variant(Track::Support, &seen, None).variant, variants[0]);
        for (i, v) in variants.iter().enumerate() {
            seen.insert(v, t("2026-01-01T00:00:00Z") + chrono::Duration::days(i as i64));
        }
        // The oldest is variants[0], unless it was the last one shown.
        assert_eq!(catalog.least_recent_variant(Track::Support, &seen, None).variant, variants[0]);
        assert_eq!(catalog.least_recent_variant(Track::Support, &seen, Some(variants[0])).variant, variants[1]);
        seen.remove(variants[3]);
        assert_eq!(catalog.least_recent_variant(Track::Support, &seen, None).variant, variants[3], "never seen first");
    }

    fn entry(track: &str, variant: &str, subject: &str, body: &str) -> String {
        format!("[[nudge]]\ntrack = {track:?}\nvariant = {variant:?}\nsubject = {subject:?}\nbody = {body:?}\n")
    }

    #[test]
    fn errors_name_the_bad_entry() {
        let mut text = String::new();
        for t in Track::ALL {
            text += &entry(t.key(), "a", "Hello", "Body one.");
            text += &entry(t.key(), "b", "Hello", "Body two.");
        }
        assert!(Catalog::parse(&text).is_ok());
        let bad = format!("{text}{}", entry("gardening", "a", "x", "y"));
        let err = format!("{:#}", Catalog::parse(&bad).unwrap_err());
        assert!(err.contains("nudge #13") && err.contains("gardening"), "{err}");
        let bad = format!("{text}{}", entry("support", "c", "Line\nbreak", "y"));
        assert!(format!("{:#}", Catalog::parse(&bad).unwrap_err()).contains("variant \"c\""));
        let bad = format!("{text}{}", entry("support", "a", "dup", "y"));
        assert!(format!("{:#}", Catalog::parse(&bad).unwrap_err()).contains("used twice"));
        let short = entry("support", "a", "x", "y");
        assert!(format!("{:#}", Catalog::parse(&short).unwrap_err()).contains("needs at least"));
    }
}
