//! Discreet mail's words: what a subscriber who chose discreet mail sees
//! before opening one (the From name, the subject, the heading that a lock
//! screen or a notification previews), per locale and per kind of mail.
//!
//! Each kind has several subjects; a delivery's id picks one, so a mail
//! keeps its subject on every attempt and consecutive mails vary. The body
//! stays as it is: it is read by someone who opened the mail. The lint
//! checks these words against the discreet list (`super::super::lint`).

use super::{Catalog, Texts};
use crate::domain::{DeliveryKind, Locale};

/// A locale's discreet words; only `en` must be complete.
#[derive(Debug, Clone, Default)]
pub(super) struct DiscreetTexts {
    pub(super) from_name: Option<String>,
    pub(super) mails: std::collections::BTreeMap<DeliveryKind, DiscreetMail>,
}

/// What one kind of mail shows a discreet subscriber before it is opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscreetMail {
    /// At least one; a delivery's id picks among them.
    pub subjects: Vec<String>,
    /// The first line of the mail (what a notification previews).
    pub heading: String,
}

impl DiscreetMail {
    /// The subject for one delivery: the same on every attempt.
    pub fn subject_for(&self, delivery_id: i64) -> &str {
        let index = delivery_id.rem_euclid(self.subjects.len() as i64) as usize;
        &self.subjects[index]
    }
}

/// The kinds with discreet words of their own: every kind a mail is
/// composed as (`test` rows are composed as nudges).
pub fn discreet_kinds() -> impl Iterator<Item = DeliveryKind> {
    DeliveryKind::ALL.into_iter().filter(|k| k.composed_as() == *k)
}

impl Catalog {
    /// The From display name of discreet mail in `locale`, falling back to `en`.
    pub fn discreet_from(&self, locale: &Locale) -> &str {
        self.own_discreet_from(locale)
            .or_else(|| self.en().discreet.from_name.as_deref())
            .expect("en has a discreet from_name (checked when the catalog is parsed)")
    }

    /// A kind's discreet words in `locale`, falling back to `en`.
    pub fn discreet(&self, locale: &Locale, kind: DeliveryKind) -> &DiscreetMail {
        let kind = kind.composed_as();
        self.own_discreet(locale, kind)
            .or_else(|| self.en().discreet.mails.get(&kind))
            .expect("en has discreet words for every kind (checked when the catalog is parsed)")
    }

    /// The From name a locale itself has (for checks; no fallback).
    pub fn own_discreet_from(&self, locale: &Locale) -> Option<&str> {
        self.locale(locale).and_then(|t| t.discreet.from_name.as_deref())
    }

    /// The discreet words a locale itself has for a kind (for checks; no fallback).
    pub fn own_discreet(&self, locale: &Locale, kind: DeliveryKind) -> Option<&DiscreetMail> {
        self.locale(locale).and_then(|t| t.discreet.mails.get(&kind))
    }

    fn locale(&self, locale: &Locale) -> Option<&Texts> {
        self.locales.get(locale)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delivery_keeps_its_subject_and_neighbours_differ() {
        let mail = DiscreetMail { subjects: vec!["a".into(), "b".into(), "c".into()], heading: "h".into() };
        assert_eq!(mail.subject_for(7), mail.subject_for(7));
        assert_ne!(mail.subject_for(7), mail.subject_for(8));
        assert_eq!(mail.subject_for(-1), "c", "never out of range");
    }

    #[test]
    fn the_built_in_catalog_has_discreet_words_for_every_kind() {
        let catalog = Catalog::built_in();
        assert!(!catalog.discreet_from(&Locale::en()).is_empty());
        for kind in DeliveryKind::ALL {
            assert!(catalog.discreet(&Locale::en(), kind).subjects.len() >= 3, "{kind}");
        }
    }
}
