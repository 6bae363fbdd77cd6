//! The content lint: the measurable half of `config/RUBRIC.md`.
//!
//! `lint` checks every text of a catalog, in every locale, and returns each
//! problem with where it is (locale, track and variant, or mail) and why. It
//! never stops at the first one. The rules, with the numbers written down in
//! the rubric:
//!
//! - subject at most 60 characters; body two to five sentences;
//! - no phrase from `config/banned-phrases.txt`, in any field;
//! - Flesch reading ease of the body at least 60 ([`readability`]);
//! - at least eight `en` variants per track; a translated variant must exist
//!   in `en` (rotation walks the `en` names);
//! - no two variants of a track share more than 60% of their words: shared
//!   distinct words divided by the distinct words of the smaller text;
//! - every `{placeholder}` is one the text's mail fills in;
//! - the text and HTML parts both render, carrying every paragraph, with
//!   every placeholder filled and no stray brace.
//!
//! `tend serve`, `tend check-config` and `tend catalog lint` all run it.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use super::catalog::{Catalog, MailText, Nudge, NudgeFrame, placeholders};
use crate::domain::DeliveryKind;
use crate::domain::{Locale, Track};

pub mod banned;
pub mod readability;
pub mod render;
#[cfg(test)]
mod tests;

pub use banned::BannedPhrases;

pub const MAX_SUBJECT_CHARS: usize = 60;
pub const MIN_SENTENCES: usize = 2;
pub const MAX_SENTENCES: usize = 5;
pub const MIN_READING_EASE: f64 = 60.0;
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
}

/// Where in the catalog a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Track(Track),
    Nudge { track: Track, variant: String },
    Mail(DeliveryKind),
    NudgeFrame,
    Notes,
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
        }
        write!(f, ": {}", self.reason)
    }
}

/// Every problem in `catalog`, in catalog order.
pub fn lint(catalog: &Catalog) -> Vec<Problem> {
    let checker = Checker { banned: BannedPhrases::built_in(), render: render::Renderer::new(catalog) };
    let mut problems = Vec::new();
    for locale in catalog.locales() {
        let mut report = |entry: Entry, rule: Rule, reason: String| {
            problems.push(Problem { locale: locale.clone(), entry, rule, reason });
        };
        for track in Track::ALL {
            checker.track(catalog, locale, track, &mut report);
        }
        if let Some(frame) = catalog.own_frame(locale) {
            checker.frame(frame, &mut |rule, reason| report(Entry::NudgeFrame, rule, reason));
        }
        for kind in DeliveryKind::with_mail_words() {
            if let Some(mail) = catalog.own_mail(locale, kind) {
                checker.mail(locale, kind, mail, &mut |rule, reason| report(Entry::Mail(kind), rule, reason));
            }
        }
        if let Some(notes) = catalog.own_notes(locale) {
            for (field, text, known) in notes.fields() {
                checker.words(field, text, &mut |rule, reason| report(Entry::Notes, rule, reason));
                checker.placeholders(field, text, known, &mut |rule, reason| report(Entry::Notes, rule, reason));
            }
        }
    }
    problems
}

struct Checker {
    banned: BannedPhrases,
    render: render::Renderer,
}

impl Checker {
    fn track(&self, catalog: &Catalog, locale: &Locale, track: Track, report: &mut impl FnMut(Entry, Rule, String)) {
        let variants = catalog.own_variants(locale, track);
        if locale.is_en() && variants.len() < MIN_VARIANTS {
            let reason = format!("has {} variants; the rubric asks for at least {MIN_VARIANTS}", variants.len());
            report(Entry::Track(track), Rule::TooFewVariants, reason);
        }
        for nudge in variants {
            let entry = || Entry::Nudge { track, variant: nudge.variant.clone() };
            if !locale.is_en() && catalog.nudge(track, &nudge.variant).is_none() {
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

    fn mail(&self, locale: &Locale, kind: DeliveryKind, mail: &MailText, report: &mut impl FnMut(Rule, String)) {
        let values = render::sample_values(kind);
        let values: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let sample = mail.filled(&values);
        self.subject(&sample.subject, report);
        self.body(&sample.body, report);
        for (field, text) in mail.fields() {
            self.words(field, text, report);
            self.placeholders(field, text, kind.placeholders(), report);
        }
        if let Err(reason) = self.render.mail(locale, kind) {
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
        if let Some(score) = readability::flesch_reading_ease(body)
            && score < MIN_READING_EASE
        {
            let c = readability::counts(body);
            let reason = format!(
                "body reads too hard: Flesch reading ease {score:.0} (at least {MIN_READING_EASE:.0}; \
                 {} words, {} sentences, {} syllables): use shorter sentences and plainer words",
                c.words, c.sentences, c.syllables
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
