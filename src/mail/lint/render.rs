//! The render rule: compose each text as a subscriber would get it, through
//! the real templates, and check that both parts carry every paragraph with
//! every placeholder filled and no stray brace left over.

use chrono::{DateTime, Utc};
use secrecy::SecretString;

use super::shared;
use crate::domain::{LinkSigner, Locale};
use crate::links::Links;
use crate::mail::catalog::{Catalog, MailKind, Nudge, paragraphs, placeholders};
use crate::mail::compose::{Composer, OutgoingEmail};
use crate::mail::notes::OperatorLines;

/// Values that stand in for the real ones when a mail is checked or previewed.
pub fn sample_values(kind: MailKind) -> Vec<(&'static str, &'static str)> {
    match kind {
        MailKind::Confirm | MailKind::KeepGoing => vec![],
        MailKind::Welcome => vec![("time", "08:30"), ("timezone", "Europe/Dublin")],
        MailKind::WeeklySummary => {
            vec![("sent", "5"), ("done", "3"), ("partly", "1"), ("not_yet", "1"), ("unanswered", "0")]
        }
    }
}

pub struct Renderer {
    composer: Composer,
}

const SAMPLE_TO: &str = "reader@example.org";
const SAMPLE_KEY: &str = "preview";

impl Renderer {
    pub fn new(catalog: &Catalog) -> Self {
        Self { composer: sample_composer(catalog, OperatorLines::default()) }
    }

    pub fn nudge(&self, nudge: &Nudge) -> Result<(), String> {
        let email = self.composer.nudge(SAMPLE_TO, 1, 1, nudge, sample_instant(), SAMPLE_KEY);
        carries(&email, &nudge.subject, &nudge.body)
    }

    pub fn mail(&self, locale: &Locale, kind: MailKind) -> Result<(), String> {
        let email = sample_mail(&self.composer, locale, kind);
        let words = self.composer.catalog().mail(locale, kind).filled(&sample_values(kind));
        carries(&email, &words.subject, &words.body)
    }
}

/// A composer with links to an example host, for checks and previews.
pub fn sample_composer(catalog: &Catalog, lines: OperatorLines) -> Composer {
    let key = SecretString::from("catalog-preview-key-not-used-for-real-links");
    let signer = LinkSigner::new(&[key]).expect("a fixed key is valid");
    Composer::new(Links::new("https://tend.example.org", signer), shared(catalog), "tend.example.org").with_notes(lines)
}

pub fn sample_instant() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2027-01-04T08:30:00Z").expect("a valid instant").with_timezone(&Utc)
}

/// A non-nudge mail composed with sample values.
pub fn sample_mail(composer: &Composer, locale: &Locale, kind: MailKind) -> OutgoingEmail {
    let at = sample_instant();
    match kind {
        MailKind::Confirm => composer.confirmation(SAMPLE_TO, locale, 1, at, SAMPLE_KEY),
        MailKind::Welcome => composer.welcome(SAMPLE_TO, locale, 1, at, "08:30", "Europe/Dublin", SAMPLE_KEY),
        MailKind::KeepGoing => composer.keep_going(SAMPLE_TO, locale, 1, at, SAMPLE_KEY),
        MailKind::WeeklySummary => {
            let content = composer.mail_content(
                locale,
                kind,
                &sample_values(kind),
                "https://tend.example.org/me/preview".into(),
                Some("https://tend.example.org/me/preview".into()),
                "https://tend.example.org/unsubscribe/preview".into(),
            );
            composer.render_in(locale, None, SAMPLE_TO, SAMPLE_KEY, content)
        }
    }
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
