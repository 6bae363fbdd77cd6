//! The discreet rule: what a discreet subscriber sees before opening a mail
//! (From name, subjects, headings) must not say what tend is about. Banned,
//! case ignored, in every locale: words starting with trust, partner,
//! relationship, promis or tend (and their German and Spanish kin: vertrau,
//! beziehung, versprech, zusage, confianza, pareja, relaci, prome,
//! compromis), and every
//! track's key and its title in every supported locale as a phrase
//! (`check-in` is the phrase "check in").
//! Besides, these words follow the rubric like every other text: the
//! locale's banned-phrases list and the subject length.

use super::{BannedPhrases, Checker, Entry, Rule};
use crate::domain::{Locale, Track};
use crate::i18n;
use crate::mail::catalog::{Catalog, discreet_kinds};

/// The longest From display name, in characters.
pub const MAX_FROM_NAME_CHARS: usize = 40;

/// Words that give away what the mail is about.
const GIVEAWAYS: &str = "trust*\npartner*\nrelationship*\npromis*\ntend*\n\
    vertrau*\nbeziehung*\nversprech*\nversproch*\nzusage*\n\
    confianza\nconfiar*\npareja*\nrelaci*\nprome*\ncompromis*";

/// The discreet list: the giveaways and every track's key, and its title
/// in every supported locale.
pub fn giveaways() -> BannedPhrases {
    let titles = Locale::SUPPORTED.iter().map(|tag| i18n::tr(&Locale::or_en(tag)));
    let titles = titles.flat_map(|t| Track::ALL.map(|track| t.track(track)));
    let tracks = Track::ALL.iter().map(|t| t.key().to_owned()).chain(titles).collect::<Vec<_>>().join("\n");
    BannedPhrases::parse(&format!("{GIVEAWAYS}\n{tracks}"))
}

/// The discreet words a supported locale lacks: each would be read in `en`.
pub(super) fn missing_keys(
    catalog: &Catalog,
    locale: &Locale,
    missing: &str,
    report: &mut impl FnMut(Entry, Rule, String),
) {
    if catalog.own_discreet_from(locale).is_none() {
        report(Entry::Discreet(None), Rule::MissingKey, format!("[{locale}.discreet] from_name {missing}"));
    }
    for kind in discreet_kinds().filter(|k| catalog.own_discreet(locale, *k).is_none()) {
        let reason = format!("[{locale}.discreet.mail.{}] {missing}", kind.key());
        report(Entry::Discreet(Some(kind)), Rule::MissingKey, reason);
    }
}

impl Checker<'_> {
    /// Every discreet text the checker's locale itself has.
    pub(super) fn discreet(&self, catalog: &Catalog, report: &mut impl FnMut(Entry, Rule, String)) {
        let locale = self.locale;
        if let Some(name) = catalog.own_discreet_from(locale) {
            let chars = name.chars().count();
            if chars > MAX_FROM_NAME_CHARS {
                let reason = format!("from_name has {chars} characters (at most {MAX_FROM_NAME_CHARS})");
                report(Entry::Discreet(None), Rule::SubjectLength, reason);
            }
            self.discreet_words("from_name", name, &mut |rule, reason| report(Entry::Discreet(None), rule, reason));
        }
        for kind in discreet_kinds() {
            let Some(mail) = catalog.own_discreet(locale, kind) else { continue };
            let mut report = |rule, reason| report(Entry::Discreet(Some(kind)), rule, reason);
            for subject in &mail.subjects {
                self.subject(subject, &mut report);
                self.discreet_words("subjects", subject, &mut report);
            }
            self.subject(&mail.heading, &mut report);
            self.discreet_words("heading", &mail.heading, &mut report);
        }
    }

    fn discreet_words(&self, field: &str, text: &str, report: &mut impl FnMut(Rule, String)) {
        self.words(field, text, report);
        for phrase in self.giveaways.found_in(text) {
            report(Rule::Discreet, format!("{field} {text:?} gives away what the mail is about ({phrase:?})"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn giveaways_are_caught_in_any_case_and_neutral_words_pass() {
        let list = giveaways();
        for loud in [
            "Rebuilding TRUST",
            "Your partner's day",
            "Relationships matter",
            "Promised for Friday",
            "A note from tend",
            "Tend's reminder",
            "Time for a check-in",
            "Follow-through today",
            "A bit of patience",
            "Taking responsibility",
            "Professional support",
        ] {
            assert!(!list.found_in(loud).is_empty(), "{loud}");
        }
        for quiet in ["A note for today", "Your week", "Checking the weather", "Extended hours", "Attend the talk"] {
            assert!(list.found_in(quiet).is_empty(), "{quiet}: {:?}", list.found_in(quiet));
        }
    }

    #[test]
    fn a_loud_discreet_subject_or_from_name_is_reported_by_kind() {
        let catalog = Catalog::parse(
            "[en.discreet]\nfrom_name = \"tend nudges\"\n\n[en.discreet.mail.nudge]\nsubjects = [\"Fine\", \"Your trust step\"]\nheading = \"A note\"\n",
        )
        .unwrap();
        let problems: Vec<String> =
            super::super::lint(&catalog).iter().filter(|p| p.rule == Rule::Discreet).map(ToString::to_string).collect();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].starts_with("[en] discreet from name: from_name \"tend nudges\""), "{problems:?}");
        assert!(problems[1].starts_with("[en] discreet nudge: subjects \"Your trust step\""), "{problems:?}");
    }
}
