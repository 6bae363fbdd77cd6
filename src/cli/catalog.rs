//! `tend catalog lint [FILE]` and `tend catalog preview [--track T] [--html DIR] [--discreet]`.
//!
//! `lint` checks a catalog against the content rubric and prints every
//! problem (exit 2 if there is one). `preview` prints every message as a
//! subscriber reads it (From name, subject, then the text part), or writes
//! the HTML versions into a folder; `--discreet` shows them as a subscriber
//! who chose discreet mail gets them. Both read
//! `FILE`, else `catalog.path`, else the built-in catalog; neither needs a
//! database.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;

use super::UsageError;
use crate::config::Settings;
use lettre::message::Mailbox;

use crate::domain::DeliveryKind;
use crate::domain::mail::MailContext;
use crate::domain::{Locale, Track};
use crate::mail::catalog::Catalog;
use crate::mail::compose::OutgoingEmail;
use crate::mail::lint::{self, readability};
use crate::mail::notes::OperatorLines;

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Check a catalog against the content rubric; print each problem.
    Lint {
        /// A catalog file (default: catalog.path, else the built-in catalog).
        file: Option<PathBuf>,
        /// Only this locale's problems (en, de or es; default: every locale).
        #[arg(long)]
        locale: Option<String>,
    },
    /// Print every message as a subscriber reads it, or write the HTML versions.
    Preview {
        /// Only this track's nudges (no other mails).
        #[arg(long)]
        track: Option<String>,
        /// Write one .html file per message into this folder instead of printing.
        #[arg(long)]
        html: Option<PathBuf>,
        /// The locale to show (default en; missing texts fall back to en).
        #[arg(long, default_value = "en")]
        locale: String,
        /// A catalog file (default: catalog.path, else the built-in catalog).
        #[arg(long)]
        file: Option<PathBuf>,
        /// As a subscriber who chose discreet mail gets them.
        #[arg(long)]
        discreet: bool,
    },
}

pub fn run(settings: &Settings, command: CatalogCommand) -> anyhow::Result<()> {
    match command {
        CatalogCommand::Lint { file, locale } => {
            let locale =
                locale.map(|l| Locale::parse_supported(&l)).transpose().map_err(|e| UsageError(e.to_string()))?;
            lint(&read(settings, file.as_deref())?, locale.as_ref())
        }
        CatalogCommand::Preview { track, html, locale, file, discreet } => {
            let track = track.map(|t| Track::parse(&t)).transpose().map_err(|e| UsageError(e.to_string()))?;
            let locale = Locale::parse(&locale).map_err(|e| UsageError(e.to_string()))?;
            let catalog = read(settings, file.as_deref())?;
            let shown = Shown { locale, only: track, discreet };
            let messages = messages(&catalog, &shown, OperatorLines::from(&settings.content));
            match html {
                Some(dir) => write_html(&dir, &messages),
                None => {
                    print_text(&messages, &from_name(settings));
                    Ok(())
                }
            }
        }
    }
}

/// Reads the catalog without the rubric: linting and previewing a broken
/// catalog is the point. A file that does not parse is a usage error.
fn read(settings: &Settings, file: Option<&Path>) -> anyhow::Result<Catalog> {
    let path = file.map(|p| p.display().to_string()).unwrap_or_else(|| settings.catalog.path.clone());
    if path.trim().is_empty() {
        return Ok(Catalog::built_in());
    }
    Catalog::read(&path).map_err(|e| UsageError(format!("{e:#}")).into())
}

fn lint(catalog: &Catalog, only: Option<&Locale>) -> anyhow::Result<()> {
    let mut problems = lint::lint(catalog);
    problems.retain(|p| only.is_none_or(|locale| p.locale == *locale));
    for problem in &problems {
        println!("{problem}");
    }
    if !problems.is_empty() {
        return Err(UsageError(format!("the catalog has {} problem(s)", problems.len())).into());
    }
    let variants: usize = Track::ALL.iter().map(|t| catalog.variants(*t).len()).sum();
    let mails = DeliveryKind::with_mail_words().count();
    eprintln!("the catalog passes the rubric: {variants} en nudges, {mails} mails");
    Ok(())
}

/// One message as a subscriber gets it, with a file name for `--html`.
struct Message {
    name: String,
    label: String,
    score: Option<f64>,
    email: OutgoingEmail,
}

/// Which messages a preview shows, and how.
struct Shown {
    locale: Locale,
    /// Only this track's nudges.
    only: Option<Track>,
    /// As a discreet subscriber gets them.
    discreet: bool,
}

impl Shown {
    fn mail(&self, mail: MailContext) -> MailContext {
        if self.discreet { lint::render::discreetly(mail) } else { mail }
    }
}

/// The display name of `mail.from`, which every mail but a discreet one shows.
fn from_name(settings: &Settings) -> String {
    settings.mail.from.parse::<Mailbox>().ok().and_then(|m| m.name).unwrap_or_default()
}

fn messages(catalog: &Catalog, shown: &Shown, lines: OperatorLines) -> Vec<Message> {
    let composer = lint::render::sample_composer(catalog, lines);
    let locale = &shown.locale;
    let mut messages = Vec::new();
    if shown.only.is_none() {
        for kind in DeliveryKind::with_mail_words() {
            let email = composer.compose(&shown.mail(lint::render::sample_mail(locale, kind)));
            let values = lint::render::sample_values(kind);
            let values: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let score =
                readability::Formula::for_locale(locale).score(&catalog.mail(locale, kind).filled(&values).body);
            messages.push(Message {
                name: format!("mail-{}", kind.key()),
                label: format!("mail {}", kind.key()),
                score,
                email,
            });
        }
    }
    for track in Track::ALL.into_iter().filter(|t| shown.only.is_none_or(|o| o == *t)) {
        for (i, listed) in catalog.rotation(locale, track).iter().enumerate() {
            let nudge = catalog.nudge_in(locale, track, &listed.variant).unwrap_or(listed);
            let email = composer.compose(&shown.mail(lint::render::sample_nudge(nudge)));
            messages.push(Message {
                name: format!("{}-{:02}-{}", track.key(), i + 1, nudge.variant),
                label: format!("track {}, variant {}", track.key(), nudge.variant),
                score: readability::Formula::for_locale(&nudge.locale).score(&nudge.body),
                email,
            });
        }
    }
    messages
}

fn print_text(messages: &[Message], from_name: &str) {
    for m in messages {
        let score = m.score.map_or(String::new(), |s| format!(" · reading ease {s:.0}"));
        println!("==== {}{score}", m.label);
        println!("From: {}", m.email.from_name.as_deref().unwrap_or(from_name));
        println!("Subject: {}\n", m.email.subject);
        println!("{}\n", m.email.text.trim_end());
    }
}

fn write_html(dir: &Path, messages: &[Message]) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("failed to create {}", dir.display()))?;
    let mut index = String::from("<!doctype html><meta charset=\"utf-8\"><title>tend catalog preview</title><ul>\n");
    for m in messages {
        let file = format!("{}.html", m.name);
        let path = dir.join(&file);
        std::fs::write(&path, &m.email.html).with_context(|| format!("failed to write {}", path.display()))?;
        index += &format!("<li><a href=\"{file}\">{}</a>: {}</li>\n", m.label, escape(&m.email.subject));
    }
    index += "</ul>\n";
    std::fs::write(dir.join("index.html"), index).context("failed to write index.html")?;
    eprintln!("wrote {} messages and index.html to {}", messages.len(), dir.display());
    Ok(())
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
