//! Interface words: everything tend says around the catalog's texts (page
//! titles, buttons, footers, error pages, the mail frame's links, answer
//! and track names, dates) in the reader's language.
//!
//! The words live in Project Fluent files, `locales/<locale>/tend.ftl`, one
//! per locale in [`Locale::SUPPORTED`], compiled into the binary and parsed
//! once, on first use (start-up asks for them, [`texts`]). A message missing
//! from a locale's file is looked up in `en` for that message only; the
//! start-up log names every such message once. `en` is complete by
//! definition, and the tests fail if `de` or `es` lack any of its messages,
//! so the fallback is there for locales an operator adds.
//!
//! Dates are formatted from small tables in the same files (weekday and
//! month names, and the CLDR pattern of each language, `when`): three
//! locales need nothing more than names and one pattern, which ICU4X would
//! bring with several megabytes of compiled data.
//!
//! `fluent-bundle` rather than `fluent-templates`: the latter wraps the same
//! bundles in directory loaders, lazy statics and macros, and tend has three
//! files to compile in and parse once.
//!
//! A [`Tr`] is one locale's view: `Copy`, and what every template takes.

use std::sync::OnceLock;

use chrono::{DateTime, Datelike, Utc};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

use crate::domain::promise::{CheckAnswer, Outcome};
use crate::domain::{Action, Locale, TimeZone, Track};

/// The compiled-in files, one per supported locale, `en` first.
const FILES: [(&str, &str); 3] = [
    ("en", include_str!("../locales/en/tend.ftl")),
    ("de", include_str!("../locales/de/tend.ftl")),
    ("es", include_str!("../locales/es/tend.ftl")),
];

/// A value for a message's `{ $name }`.
pub type Arg<'a> = FluentValue<'a>;

/// One locale's messages.
struct Language {
    locale: Locale,
    bundle: FluentBundle<FluentResource>,
    /// The ids of its messages, in file order.
    ids: Vec<String>,
}

/// Every locale's messages; see [`texts`].
pub struct Texts {
    languages: Vec<Language>,
}

/// The interface words, parsed on first use. Start-up calls this so the
/// missing messages are logged when the process starts.
pub fn texts() -> &'static Texts {
    static TEXTS: OnceLock<Texts> = OnceLock::new();
    TEXTS.get_or_init(|| {
        let texts = Texts::parse(&FILES).expect("the compiled-in Fluent files parse (tested)");
        for (locale, id) in texts.missing() {
            tracing::warn!(%locale, id, "interface message missing in this locale; shown in en");
        }
        texts
    })
}

/// The words of `locale` (falling back to `en` message by message).
pub fn tr(locale: &Locale) -> Tr {
    texts().tr(locale)
}

impl Texts {
    /// Parses `(locale, source)` pairs; the first must be `en`.
    pub fn parse(files: &[(&str, &str)]) -> anyhow::Result<Self> {
        let languages = files.iter().map(|(tag, source)| Language::parse(tag, source)).collect::<Result<_, _>>()?;
        Ok(Texts { languages })
    }

    /// The locale's view; a locale without a file reads in `en`.
    pub fn tr(&'static self, locale: &Locale) -> Tr {
        let en = &self.languages[0];
        let own = self.languages.iter().find(|l| l.locale.language() == locale.language()).unwrap_or(en);
        Tr { own, en }
    }

    /// `(locale, id)` of every `en` message another locale lacks.
    pub fn missing(&self) -> Vec<(Locale, String)> {
        let en = &self.languages[0];
        self.languages[1..]
            .iter()
            .flat_map(|l| en.ids.iter().filter(|id| !l.bundle.has_message(id)).map(|id| (l.locale.clone(), id.clone())))
            .collect()
    }

    /// Every message id of `en`.
    pub fn ids(&self) -> &[String] {
        &self.languages[0].ids
    }
}

impl Language {
    fn parse(tag: &str, source: &str) -> anyhow::Result<Self> {
        let resource = FluentResource::try_new(source.to_owned())
            .map_err(|(_, errors)| anyhow::anyhow!("locales/{tag}/tend.ftl does not parse: {errors:?}"))?;
        let ids = resource
            .entries()
            .filter_map(|entry| match entry {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_owned()),
                _ => None,
            })
            .collect();
        let langid = tag.parse().map_err(|e| anyhow::anyhow!("{tag} is not a language tag: {e}"))?;
        let mut bundle = FluentBundle::new_concurrent(vec![langid]);
        // Pages and mails are not bidirectional text: no isolation marks.
        bundle.set_use_isolating(false);
        bundle.add_resource(resource).map_err(|e| anyhow::anyhow!("locales/{tag}/tend.ftl: {e:?}"))?;
        Ok(Language { locale: Locale::parse(tag)?, bundle, ids })
    }

    /// A message's value, or with `attribute` that attribute's.
    fn format(&self, id: &str, attribute: Option<&str>, args: Option<&FluentArgs<'_>>) -> Option<String> {
        let message = self.bundle.get_message(id)?;
        let pattern = match attribute {
            None => message.value()?,
            Some(name) => message.get_attribute(name)?.value(),
        };
        let mut errors = Vec::new();
        let text = self.bundle.format_pattern(pattern, args, &mut errors).into_owned();
        if !errors.is_empty() {
            tracing::warn!(locale = %self.locale, id, ?errors, "interface message did not format cleanly");
        }
        Some(text)
    }
}

/// One locale's words, with `en` behind each message.
#[derive(Clone, Copy)]
pub struct Tr {
    own: &'static Language,
    en: &'static Language,
}

impl Tr {
    /// The `lang` of pages and the `Content-Language` of mails.
    pub fn lang(&self) -> &'static str {
        self.own.locale.as_str()
    }

    pub fn locale(&self) -> &'static Locale {
        &self.own.locale
    }

    /// A message without arguments.
    pub fn get(&self, id: &str) -> String {
        self.with(id, &[])
    }

    /// A message with its `{ $name }` values; an id no file has comes back
    /// as itself (the tests render every page, so none ships).
    pub fn with(&self, id: &str, args: &[(&str, Arg<'_>)]) -> String {
        let args = (!args.is_empty()).then(|| {
            let mut fluent = FluentArgs::new();
            for (name, value) in args {
                fluent.set(*name, value.clone());
            }
            fluent
        });
        let args = args.as_ref();
        self.own.format(id, None, args).or_else(|| self.en.format(id, None, args)).unwrap_or_else(|| id.to_owned())
    }

    /// "Tuesday 3 March at 08:30" in `zone`, in this language's pattern.
    pub fn when(&self, instant: DateTime<Utc>, zone: TimeZone) -> String {
        let local = instant.with_timezone(&zone.tz());
        let weekday = self.get(&format!("weekday-{}", local.weekday().number_from_monday()));
        let month = self.get(&format!("month-{}", local.month()));
        let day = local.day().to_string();
        let time = local.format("%H:%M").to_string();
        self.with(
            "when",
            &[("weekday", weekday.into()), ("day", day.into()), ("month", month.into()), ("time", time.into())],
        )
    }

    /// "today", "tomorrow", "in 6 days".
    pub fn days_ahead(&self, days: i64) -> String {
        self.with("days-ahead", &[("days", days.into())])
    }

    pub fn action(&self, action: Action) -> String {
        self.get(&format!("action-{}", action.key()))
    }

    /// What the answer page says back once the answer is recorded.
    pub fn acknowledgement(&self, action: Action) -> String {
        self.get(&format!("ack-{}", action.key()))
    }

    pub fn track(&self, track: Track) -> String {
        self.get(&format!("track-{}", track.key()))
    }

    /// The track's name inside a sentence ("your open, honest talk nudge"):
    /// its `.in-sentence` where the language writes it differently.
    pub fn track_in_sentence(&self, track: Track) -> String {
        let id = format!("track-{}", track.key());
        self.own.format(&id, Some("in-sentence"), None).unwrap_or_else(|| self.get(&id))
    }

    /// The line under a track's title on the subscribe and preferences pages.
    pub fn track_blurb(&self, track: Track) -> String {
        self.get(&format!("track-{}-blurb", track.key()))
    }

    pub fn check_answer(&self, answer: CheckAnswer) -> String {
        self.get(&format!("check-{}", answer.key()))
    }

    pub fn outcome(&self, outcome: Outcome) -> String {
        self.get(&format!("outcome-{}", outcome.key()))
    }
}

#[cfg(test)]
mod tests;
