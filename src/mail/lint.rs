//! The content lint: the measurable half of `config/RUBRIC.md`.
//!
//! `lint` checks every text of a catalog, in every locale, and returns each
//! problem with where it is (locale, track and variant, or mail) and why. It
//! never stops at the first one. The rules, with the numbers written down in
//! the rubric:
//!
//! - subject at most 60 characters; body two to five sentences;
//! - no phrase from the locale's banned list (`config/banned-phrases.txt`,
//!   `.de.txt`, `.es.txt`), in any field;
//! - the body's reading ease, by the formula made for its language, at
//!   least the rubric's minimum ([`readability`]);
//! - at least eight variants per track in `en` and in every locale tend
//!   offers subscribers; in any other locale a translated variant must carry
//!   an `en` variant's name;
//! - every locale tend offers has every text `en` has (missing keys);
//! - no two variants of a track share more than 60% of their words: shared
//!   distinct words divided by the distinct words of the smaller text;
//! - every `{placeholder}` is one the text's mail fills in;
//! - the text and HTML parts both render, carrying every paragraph, with
//!   every placeholder filled and no stray brace;
//! - discreet mail's From name, subjects and headings do not say what the
//!   mail is about ([`discreet`]).
//!
//! `tend serve`, `tend check-config` and `tend catalog lint` all run it.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use super::catalog::{Catalog, MailText, Nudge, NudgeFrame, placeholders};
use crate::domain::DeliveryKind;
use crate::domain::{Locale, Track};

pub mod banned;
pub mod discreet;
pub mod readability;
pub mod render;
#[cfg(test)]
mod tests;

pub use banned::BannedPhrases;
use readability::Formula;

pub const MAX_SUBJECT_CHARS: usize = 60;
pub const MIN_SENTENCES: usize = 2;
pub const MAX_SENTENCES: usize = 5;
pub const MIN_VARIANTS: usize = 8;
/// Most of its words a variant may share with another of its track.
pub const MAX_SHARED_WORDS: f64 = 0.60;

/// Which rule a problem breaks: what tests and tooling match on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rule {
    SubjectLength,
    SentenceCount,
    BannedPhrase,
    Readability,
    TooFewVariants,
    UnknownVariant,
    SimilarVariants,
    UnknownPlaceholder,
    Render,
    /// A discreet text gives away what the mail is about.
    Discreet,
    /// A locale tend offers subscribers lacks a text `en` has; it would be
    /// read in English. Reported by `tend catalog lint`; `tend serve` starts
    /// anyway and says so once.
    MissingKey,
}

/// Where in the catalog a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Track(Track),
    Nudge {
        track: Track,
        variant: String,
    },
    Mail(DeliveryKind),
    NudgeFrame,
    Notes,
    /// Discreet words: of a mail kind, or the From name (`None`).
    Discreet(Option<DeliveryKind>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub locale: Locale,
    pub entry: Entry,
    pub rule: Rule,
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] ", self.locale)?;
        match &self.entry {
            Entry::Track(track) => write!(f, "track {track}")?,
            Entry::Nudge { track, variant } => write!(f, "track {track}, variant {variant}")?,
            Entry::Mail(kind) => write!(f, "mail {}", kind.key())?,
            Entry::NudgeFrame => f.write_str("nudge frame")?,
            Entry::Notes => f.write_str("notes")?,
            Entry::Discreet(Some(kind)) => write!(f, "discreet {}", kind.key())?,
            Entry::Discreet(None) => f.write_str("discreet from name")?,
        }
        write!(f, ": {}", self.reason)
    }
}

/// Every problem in `catalog`, in catalog order.
pub fn lint(catalog: &Catalog) -> Vec<Problem> {
    let render = render::Renderer::new(catalog);
    let giveaways = discreet::giveaways();
    let mut problems = Vec::new();
    let mut locales: Vec<Locale> = catalog.locales().cloned().collect();
    for supported in Locale::SUPPORTED.map(|l| Locale::parse(l).expect("supported locales parse")) {
        if !locales.contains(&supported) {
            locales.push(supported);
        }
    }
    for locale in &locales {
        let banned = BannedPhrases::for_locale(locale);
        let checker = Checker { locale, banned: &banned, giveaways: &giveaways, render: &render };
        let mut report = |entry: Entry, rule: Rule, reason: String| {
            problems.push(Problem { locale: locale.clone(), entry, rule, reason });
        };
        if locale.is_supported() && !locale.is_en() {
            missing_keys(catalog, locale, &mut report);
        }
        for track in Track::ALL {
            checker.track(catalog, track, &mut report);
        }
        if let Some(frame) = catalog.own_frame(locale) {
            checker.frame(frame, &mut |rule, reason| report(Entry::NudgeFrame, rule, reason));
        }
        for kind in DeliveryKind::with_mail_words() {
            if let Some(mail) = catalog.own_mail(locale, kind) {
                checker.mail(kind, mail, &mut |rule, reason| report(Entry::Mail(kind), rule, reason));
            }
        }
        if let Some(notes) = catalog.own_notes(locale) {
            for (field, text, known) in notes.fields() {
                checker.words(field, text, &mut |rule, reason| report(Entry::Notes, rule, reason));
                checker.placeholders(field, text, known, &mut |rule, reason| report(Entry::Notes, rule, reason));
            }
        }
        checker.discreet(catalog, &mut report);
    }
    problems
}

/// Texts `en` has that a supported locale lacks (its nudges are checked by
/// the variant count).
fn missing_keys(catalog: &Catalog, locale: &Locale, report: &mut impl FnMut(Entry, Rule, String)) {
    let missing = "is missing; it would be read in en";
    if catalog.own_frame(locale).is_none() {
        report(Entry::NudgeFrame, Rule::MissingKey, format!("[{locale}.nudge_frame] {missing}"));
    }
    for kind in DeliveryKind::with_mail_words().filter(|k| catalog.own_mail(locale, *k).is_none()) {
        report(Entry::Mail(kind), Rule::MissingKey, format!("[{locale}.mail.{}] {missing}", kind.key()));
    }
    if catalog.own_notes(locale).is_none() {
        report(Entry::Notes, Rule::MissingKey, format!("[{locale}.notes] {missing}"));
    }
    discreet::missing_keys(catalog, locale, missing, report);
}

/// The rules for one locale's texts: its banned phrases, its readability
/// formula.
struct Checker<'a> {
    locale: &'a Locale,
    banned: &'a BannedPhrases,
    /// What discreet words must not say.
    giveaways: &'a BannedPhrases,
    render: &'a render::Renderer,
}

impl Checker<'_> {
    /// `en`, and every locale tend offers subscribers, has at least eight
    /// variants of its own per track (the offered locales are written in
    /// their own words, with their own variant names). Any other locale may
    /// translate a few: a translation must carry the name of an `en` variant,
    /// or it is never sent.
    fn track(&self, catalog: &Catalog, track: Track, report: &mut impl FnMut(Entry, Rule, String)) {
        let locale = self.locale;
        let variants = catalog.own_variants(locale, track);
        let written_here = locale.is_en() || locale.is_supported();
        if written_here && variants.len() < MIN_VARIANTS {
            let reason = format!("has {} variants; the rubric asks for at least {MIN_VARIANTS}", variants.len());
            report(Entry::Track(track), Rule::TooFewVariants, reason);
        }
        for nudge in variants {
            let entry = || Entry::Nudge { track, variant: nudge.variant.clone() };
            if !written_here && catalog.nudge(track, &nudge.variant).is_none() {
                let reason = "there is no en variant of this name, so it is never sent".to_owned();
                report(entry(), Rule::UnknownVariant, reason);
            }
            self.nudge(nudge, &mut |rule, reason| report(entry(), rule, reason));
        }
        for (i, a) in variants.iter().enumerate() {
            for b in &variants[i + 1..] {
                let shared = shared_words(&text_of(a), &text_of(b));
                if shared > MAX_SHARED_WORDS {
                    let reason = format!(
                        "shares {:.0}% of its words with variant {} (at most {:.0}%)",
                        shared * 100.0,
                        a.variant,
                        MAX_SHARED_WORDS * 100.0
                    );
                    report(Entry::Nudge { track, variant: b.variant.clone() }, Rule::SimilarVariants, reason);
                }
            }
        }
    }

    fn nudge(&self, nudge: &Nudge, report: &mut impl FnMut(Rule, String)) {
        self.subject(&nudge.subject, report);
        self.body(&nudge.body, report);
        for (field, text) in [("subject", &nudge.subject), ("body", &nudge.body)] {
            self.words(field, text, report);
            self.placeholders(field, text, &[], report);
        }
        if let Err(reason) = self.render.nudge(nudge) {
            report(Rule::Render, reason);
        }
    }

    fn frame(&self, frame: &NudgeFrame, report: &mut impl FnMut(Rule, String)) {
        for (field, text) in frame.fields() {
            self.words(field, text, report);
            self.placeholders(field, text, NudgeFrame::PLACEHOLDERS, report);
        }
    }

    fn mail(&self, kind: DeliveryKind, mail: &MailText, report: &mut impl FnMut(Rule, String)) {
        let values = render::sample_values(kind);
        let values: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let sample = mail.filled(&values);
        self.subject(&sample.subject, report);
        self.body(&sample.body, report);
        for (field, text) in mail.fields() {
            self.words(field, text, report);
            self.placeholders(field, text, kind.placeholders(), report);
        }
        if let Err(reason) = self.render.mail(self.locale, kind) {
            report(Rule::Render, reason);
        }
    }

    fn subject(&self, subject: &str, report: &mut impl FnMut(Rule, String)) {
        let chars = subject.chars().count();
        if chars > MAX_SUBJECT_CHARS {
            report(Rule::SubjectLength, format!("subject has {chars} characters (at most {MAX_SUBJECT_CHARS})"));
        }
    }

    fn body(&self, body: &str, report: &mut impl FnMut(Rule, String)) {
        let sentences = readability::sentences(body).len();
        if !(MIN_SENTENCES..=MAX_SENTENCES).contains(&sentences) {
            let reason = format!("body has {sentences} sentences ({MIN_SENTENCES} to {MAX_SENTENCES})");
            report(Rule::SentenceCount, reason);
        }
        let formula = Formula::for_locale(self.locale);
        if let Some(score) = formula.score(body)
            && score < formula.minimum()
        {
            let c = formula.counts(body);
            let reason = format!(
                "body reads too hard: {} {score:.0} (at least {:.0}; \
                 {} words, {} sentences, {} syllables): use shorter sentences and plainer words",
                formula.name(),
                formula.minimum(),
                c.words,
                c.sentences,
                c.syllables
            );
            report(Rule::Readability, reason);
        }
    }

    fn words(&self, field: &str, text: &str, report: &mut impl FnMut(Rule, String)) {
        for phrase in self.banned.found_in(text) {
            report(Rule::BannedPhrase, format!("{field} uses the banned phrase {phrase:?}"));
        }
    }

    fn placeholders(&self, field: &str, text: &str, known: &[&str], report: &mut impl FnMut(Rule, String)) {
        for found in placeholders(text) {
            match found {
                Ok(name) if known.contains(&name) => {}
                Ok(name) => {
                    let allowed = if known.is_empty() {
                        "this text has none".to_owned()
                    } else {
                        known.iter().map(|k| format!("{{{k}}}")).collect::<Vec<_>>().join(", ")
                    };
                    report(
                        Rule::UnknownPlaceholder,
                        format!("{field} uses unknown placeholder {{{name}}} ({allowed})"),
                    );
                }
                Err(piece) => report(Rule::Render, format!("{field} has a broken placeholder near {piece:?}")),
            }
        }
    }
}

fn text_of(nudge: &Nudge) -> String {
    format!("{}. {}", nudge.subject, nudge.body)
}

/// Shared distinct lowercase words over the distinct words of the smaller
/// text (the overlap coefficient): 1.0 when one text's words are all in the
/// other, 0.0 when they share none.
pub fn shared_words(a: &str, b: &str) -> f64 {
    let a: BTreeSet<String> = readability::words(a).into_iter().collect();
    let b: BTreeSet<String> = readability::words(b).into_iter().collect();
    let smaller = a.len().min(b.len());
    if smaller == 0 {
        return 0.0;
    }
    a.intersection(&b).count() as f64 / smaller as f64
}

/// A catalog's texts, shared for the renderer.
fn shared(catalog: &Catalog) -> Arc<Catalog> {
    Arc::new(catalog.clone())
}
