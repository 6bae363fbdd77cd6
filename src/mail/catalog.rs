//! The catalog: every word tend sends, keyed by locale.
//!
//! For each locale: the nudge variants of each track, the frame every nudge
//! mail shares (the line above its answer buttons, its footer), the texts of
//! the other mails (one table per [`DeliveryKind`] whose words are its own:
//! confirmation, welcome, "shall we keep going?", the two promise mails,
//! weekly summary, fresh link) and the footer notes (where to find help,
//! and the safety note), and what discreet mail shows before it is opened
//! ([`discreet`]). `en` is always complete; a subscriber in another locale reads that
//! locale's text where it has one and the `en` text everywhere else.
//!
//! The built-in catalog (`config/nudges.toml`) is compiled in. An operator's
//! file (`catalog.path`) is laid over it: a track it lists replaces that
//! track's variants, a mail or notes table it has replaces that table, and
//! everything else stays built in. Structure errors (unknown track, a
//! duplicate variant, a control character) fail parsing and name the entry;
//! the content rubric (`config/RUBRIC.md`) is checked by [`super::lint`], and
//! [`Catalog::load`] refuses a catalog that breaks it.
//!
//! Variant rotation (planner, simulate) walks the subscriber's locale's own
//! variants when it has a full set for the track (`de` and `es` are written
//! in their own words, with their own variant names), and otherwise the `en`
//! variants, each read in the locale's translation of the same name if it
//! has one. The built-in catalog is `config/nudges.toml` (`en`) with
//! `config/nudges.de.toml` and `config/nudges.es.toml` laid over it.

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use anyhow::Context;
use chrono::{DateTime, Utc};

use crate::domain::{DeliveryKind, Locale, Track, variant_fingerprint};

mod discreet;
mod entries;
mod file;
#[cfg(test)]
mod tests;
mod text;

pub use discreet::{DiscreetMail, discreet_kinds};
pub use entries::{MailText, NoteTexts, Nudge, NudgeFrame, needs_action};
pub use text::{fill, paragraphs, placeholders};

const BUILT_IN: &str = include_str!("../../config/nudges.toml");
/// The locales written in their own words, laid over `en`.
const BUILT_IN_LOCALES: [&str; 2] =
    [include_str!("../../config/nudges.de.toml"), include_str!("../../config/nudges.es.toml")];
/// A locale with at least this many variants of a track rotates through its
/// own (the rubric's minimum, see `lint::MIN_VARIANTS`).
const OWN_ROTATION: usize = 8;

static BUILT_IN_CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
    let en = file::parse(BUILT_IN, None).expect("the built-in catalog is valid (checked by a unit test)");
    BUILT_IN_LOCALES.iter().fold(en, |catalog, text| {
        file::parse(text, Some(&catalog)).expect("the built-in catalog is valid (checked by a unit test)")
    })
});

/// What one locale says. Only `en` must be complete.
#[derive(Debug, Clone, Default)]
struct Texts {
    by_track: BTreeMap<Track, Vec<Nudge>>,
    frame: Option<NudgeFrame>,
    mails: BTreeMap<DeliveryKind, MailText>,
    notes: Option<NoteTexts>,
    discreet: discreet::DiscreetTexts,
}

#[derive(Debug, Clone)]
pub struct Catalog {
    /// Always holds a complete `en`.
    locales: BTreeMap<Locale, Texts>,
}

impl Catalog {
    pub fn built_in() -> Self {
        BUILT_IN_CATALOG.clone()
    }

    /// The operator's catalog if `path` is set, else the built-in one; either
    /// way it must pass the content rubric. Errors name the entry.
    pub fn load(path: &str) -> anyhow::Result<Self> {
        if path.trim().is_empty() {
            return Ok(Self::built_in());
        }
        let catalog = Self::read(path)?;
        let (missing, problems): (Vec<_>, Vec<_>) =
            super::lint::lint(&catalog).into_iter().partition(|p| p.rule == super::lint::Rule::MissingKey);
        for gap in &missing {
            tracing::warn!(%gap, "the catalog lacks a text; subscribers of that locale read it in en");
        }
        if !problems.is_empty() {
            let list: Vec<String> = problems.iter().map(|p| format!("  {p}")).collect();
            anyhow::bail!(
                "catalog {path} breaks the content rubric ({} problem(s); `tend catalog lint {path}` lists them):\n{}",
                problems.len(),
                list.join("\n")
            );
        }
        Ok(catalog)
    }

    /// Reads and parses a catalog file, without the rubric.
    pub fn read(path: &str) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("catalog.path: cannot read {path}"))?;
        Self::parse(&text).with_context(|| format!("catalog {path} is not valid"))
    }

    /// Parses an operator's catalog, laid over the built-in one.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        file::parse(text, Some(&BUILT_IN_CATALOG))
    }

    /// Parses a catalog that must be complete on its own.
    pub fn parse_standalone(text: &str) -> anyhow::Result<Self> {
        file::parse(text, None)
    }

    pub fn locales(&self) -> impl Iterator<Item = &Locale> {
        self.locales.keys()
    }

    fn en(&self) -> &Texts {
        self.locales.get(&Locale::en()).expect("a catalog always has en")
    }

    /// The `en` variants.
    pub fn variants(&self, track: Track) -> &[Nudge] {
        self.en().by_track.get(&track).map_or(&[], Vec::as_slice)
    }

    /// The variants a subscriber in `locale` rotates through: the locale's
    /// own when it has a full set for the track (written in its own words,
    /// with its own names), else the `en` ones, each read in the locale's
    /// translation of the same name where there is one.
    pub fn rotation(&self, locale: &Locale, track: Track) -> &[Nudge] {
        let own = self.own_variants(locale, track);
        if own.len() >= OWN_ROTATION { own } else { self.variants(track) }
    }

    /// The variants a locale itself has (for checks; no fallback).
    pub fn own_variants(&self, locale: &Locale, track: Track) -> &[Nudge] {
        self.locales.get(locale).and_then(|t| t.by_track.get(&track)).map_or(&[], Vec::as_slice)
    }

    /// The mail text a locale itself has (for checks; no fallback).
    pub fn own_mail(&self, locale: &Locale, kind: DeliveryKind) -> Option<&MailText> {
        self.locales.get(locale).and_then(|t| t.mails.get(&kind))
    }

    /// The notes a locale itself has (for checks; no fallback).
    pub fn own_notes(&self, locale: &Locale) -> Option<&NoteTexts> {
        self.locales.get(locale).and_then(|t| t.notes.as_ref())
    }

    pub fn nudge(&self, track: Track, variant: &str) -> Option<&Nudge> {
        self.variants(track).iter().find(|n| n.variant == variant)
    }

    /// The variant whose name has this [`variant_fingerprint`] (what an
    /// answer link carries): `en` first, then every other locale's own
    /// variants (`de` and `es` name theirs in their own words). The page
    /// speaks the found variant's locale.
    pub fn nudge_by_fingerprint(&self, track: Track, fingerprint: u32) -> Option<&Nudge> {
        let matches = |n: &&Nudge| variant_fingerprint(&n.variant) == fingerprint;
        self.variants(track)
            .iter()
            .find(matches)
            .or_else(|| self.locales.values().flat_map(|t| t.by_track.get(&track)).flatten().find(matches))
    }

    /// A variant by name, in `locale` where it has one, else in any locale
    /// (pages opened from links older than the page facts they now carry).
    pub fn nudge_named(&self, locale: &Locale, track: Track, variant: &str) -> Option<&Nudge> {
        let named = |n: &&Nudge| n.variant == variant;
        let own = self.own_variants(locale, track).iter().find(named);
        own.or_else(|| self.locales.values().flat_map(|t| t.by_track.get(&track)).flatten().find(named))
    }

    /// A variant in `locale`, or in `en` where the locale has no translation.
    pub fn nudge_in(&self, locale: &Locale, track: Track, variant: &str) -> Option<&Nudge> {
        self.own_variants(locale, track).iter().find(|n| n.variant == variant).or_else(|| self.nudge(track, variant))
    }

    /// A mail's words in `locale`, falling back to `en`. `kind` is one whose
    /// words are its own (`DeliveryKind::words`); every one of those has an
    /// `en` table, checked when the catalog is parsed.
    pub fn mail(&self, locale: &Locale, kind: DeliveryKind) -> &MailText {
        self.own_mail(locale, kind)
            .or_else(|| self.en().mails.get(&kind))
            .expect("en has every mail (checked when the catalog is parsed)")
    }

    /// The nudge frame a locale itself has (for checks; no fallback).
    pub fn own_frame(&self, locale: &Locale) -> Option<&NudgeFrame> {
        self.locales.get(locale).and_then(|t| t.frame.as_ref())
    }

    /// The nudge frame in `locale`, falling back to `en`.
    pub fn nudge_frame(&self, locale: &Locale) -> &NudgeFrame {
        self.own_frame(locale)
            .or(self.en().frame.as_ref())
            .expect("en has the nudge frame (checked when the catalog is parsed)")
    }

    /// The footer notes in `locale`, falling back to `en`.
    pub fn notes(&self, locale: &Locale) -> &NoteTexts {
        self.own_notes(locale)
            .or(self.en().notes.as_ref())
            .expect("en has the notes (checked when the catalog is parsed)")
    }

    /// The variant seen least recently (never seen first, then in catalog
    /// order), and never `last`, so a track does not repeat itself and walks
    /// through all its texts even after the catalog changes.
    pub fn least_recent_variant(
        &self,
        locale: &Locale,
        track: Track,
        last_seen: &HashMap<&str, DateTime<Utc>>,
        last: Option<&str>,
    ) -> &Nudge {
        let variants = self.rotation(locale, track);
        variants
            .iter()
            .enumerate()
            .filter(|(_, n)| variants.len() < 2 || Some(n.variant.as_str()) != last)
            .min_by_key(|(i, n)| (last_seen.get(n.variant.as_str()).copied(), *i))
            .map_or(&variants[0], |(_, n)| n)
    }

    /// The variant after `last` in catalog order, so a track never shows the
    /// same text twice in a row and walks through all of them.
    pub fn next_variant(&self, locale: &Locale, track: Track, last: Option<&str>) -> &Nudge {
        let variants = self.rotation(locale, track);
        let next =
            last.and_then(|l| variants.iter().position(|n| n.variant == l)).map_or(0, |i| (i + 1) % variants.len());
        &variants[next]
    }
}
