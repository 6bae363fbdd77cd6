//! The render rule: compose each text as a subscriber would get it, through
//! the real templates, and check that both parts carry every paragraph with
//! every placeholder filled and no stray brace left over.

use chrono::{DateTime, Utc};
use secrecy::SecretString;

use super::shared;
use crate::domain::mail::{AnswerAgain, Buttons, DeliveryRef, MailBody, MailContext, Recipient, WeekFacts};
use crate::domain::{
    Action, DayAnswer, DeliveryKind, LinkGeneration, LinkSigner, Locale, Shape, SubscriberEmail, TimeZone, Track,
};
use crate::links::Links;
use crate::mail::catalog::{Catalog, Nudge, paragraphs, placeholders};
use crate::mail::compose::{Composer, OutgoingEmail, week_numbers};
use crate::mail::notes::OperatorLines;

/// Values that stand in for the real ones when a mail is checked or previewed.
pub fn sample_values(kind: DeliveryKind) -> Vec<(&'static str, String)> {
    match kind.shape() {
        Shape::Plain(_) => kind.placeholders().iter().map(|name| (*name, sample_value(name))).collect(),
        Shape::WeeklySummary => week_numbers(&sample_week()),
        Shape::Invitation => vec![("from_name", sample_value("from_name"))],
        Shape::Nudge | Shape::Promise(_) | Shape::AnswerAgain => Vec::new(),
    }
}

/// A plausible value for a plain mail's placeholder, by its name; a number
/// for any name not listed, so that a new mail's texts can be checked before
/// anyone writes a sample for them.
fn sample_value(name: &str) -> String {
    match name {
        "time" => "08:30",
        "timezone" => "Europe/Dublin",
        "from_name" => "Sam",
        _ => "3",
    }
    .to_owned()
}

/// A week with something to tell: five nudges, answered done three times,
/// partly once and not yet once, and a promise kept.
fn sample_week() -> WeekFacts {
    let today = sample_instant().date_naive();
    let answer = |days: i64, track, action| DayAnswer { date: today - chrono::Duration::days(days), track, action };
    WeekFacts {
        answers: vec![
            answer(6, Track::CheckIn, Action::Done),
            answer(5, Track::FollowThrough, Action::Done),
            answer(4, Track::Transparency, Action::Partly),
            answer(2, Track::FollowThrough, Action::Done),
            answer(1, Track::CheckIn, Action::NotYet),
        ],
        sent: 5,
        kept: 1,
        renegotiated: 0,
        today,
    }
}

pub struct Renderer {
    composer: Composer,
}

const SAMPLE_KEY: &str = "preview";

impl Renderer {
    pub fn new(catalog: &Catalog) -> Self {
        Self { composer: sample_composer(catalog, OperatorLines::default()) }
    }

    pub fn nudge(&self, nudge: &Nudge) -> Result<(), String> {
        let email = self.composer.compose(&sample_nudge(nudge));
        carries(&email, &nudge.subject, &nudge.body)
    }

    pub fn mail(&self, locale: &Locale, kind: DeliveryKind) -> Result<(), String> {
        let email = self.composer.compose(&sample_mail(locale, kind));
        let values = sample_values(kind);
        let values: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let words = self.composer.catalog().mail(locale, kind).filled(&values);
        carries(&email, &words.subject, &words.body)
    }
}

/// A composer with links to an example host, for checks and previews.
pub fn sample_composer(catalog: &Catalog, lines: OperatorLines) -> Composer {
    let key = SecretString::from("catalog-preview-key-not-used-for-real-links");
    let signer = LinkSigner::new(&[key]).expect("a fixed key is valid");
    Composer::new(Links::new("https://tend.example.org", signer), shared(catalog), lines, "tend.example.org")
}

pub fn sample_instant() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2027-01-04T08:30:00Z").expect("a valid instant").with_timezone(&Utc)
}

fn sample_recipient(locale: &Locale) -> Recipient {
    Recipient {
        subscriber_id: 1,
        email: SubscriberEmail::parse("reader@example.org").expect("a valid address"),
        locale: locale.clone(),
        zone: TimeZone::parse("Europe/Dublin").expect("a valid zone"),
        link_generation: LinkGeneration::FIRST,
        discreet: false,
    }
}

/// The same mail as a subscriber who chose discreet mail gets it.
pub fn discreetly(mut mail: MailContext) -> MailContext {
    mail.to.discreet = true;
    mail
}

fn sample_delivery() -> DeliveryRef {
    DeliveryRef { id: 1, slot: sample_instant(), message_key: SAMPLE_KEY.into() }
}

/// One nudge text as a mail, in its own locale.
pub fn sample_nudge(nudge: &Nudge) -> MailContext {
    MailContext {
        delivery: sample_delivery(),
        to: sample_recipient(&nudge.locale),
        body: MailBody::Nudge { track: nudge.track, variant: nudge.variant.clone() },
    }
}

/// Any kind of mail, with sample values. A nudge kind names no variant, so
/// it shows the first check-in variant (the composer's fallback for a
/// variant the catalog does not have).
pub fn sample_mail(locale: &Locale, kind: DeliveryKind) -> MailContext {
    let body = match kind.shape() {
        Shape::Plain(mail) => MailBody::Plain { mail, values: sample_values(kind) },
        Shape::Nudge => MailBody::Nudge { track: Track::CheckIn, variant: String::new() },
        Shape::Promise(which) => MailBody::Promise(which),
        Shape::WeeklySummary => MailBody::WeeklySummary(sample_week()),
        Shape::Invitation => MailBody::Invitation { invitation_id: 1, from_name: sample_value("from_name") },
        Shape::AnswerAgain => MailBody::AnswerAgain(AnswerAgain {
            about_id: 1,
            about_slot: sample_instant(),
            buttons: Buttons::Nudge { track: Track::CheckIn, variant: String::new() },
        }),
    };
    MailContext { delivery: sample_delivery(), to: sample_recipient(locale), body }
}

/// Both parts carry the subject and every paragraph, and no stray brace is left.
fn carries(email: &OutgoingEmail, subject: &str, body: &str) -> Result<(), String> {
    if email.text.trim().is_empty() || email.html.trim().is_empty() {
        return Err("a part rendered empty".into());
    }
    // A well-formed but unknown `{name}` is the placeholder rule's to report.
    if placeholders(subject).iter().chain(&placeholders(body)).any(Result::is_err) {
        return Err("a stray brace survives rendering".into());
    }
    if email.subject != subject {
        return Err("the subject does not survive rendering".into());
    }
    for paragraph in paragraphs(body) {
        if !email.text.contains(&paragraph) {
            return Err(format!("the text part lacks the paragraph {paragraph:?}"));
        }
        if !email.html.contains(&html_escape(&paragraph)) {
            return Err(format!("the HTML part lacks the paragraph {paragraph:?}"));
        }
    }
    Ok(())
}

/// The escaping askama applies to text in HTML.
fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&#38;"),
            '<' => out.push_str("&#60;"),
            '>' => out.push_str("&#62;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
