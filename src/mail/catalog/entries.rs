//! The entries a catalog holds: one nudge variant, the frame every nudge
//! mail shares, the words of one other mail, and the footer notes. Each can
//! list its fields (name and text) so the lint and the preview walk them the
//! same way.

use super::text::{fill, paragraphs};
use crate::domain::{DeliveryKind, Locale, Shape, Track};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nudge {
    pub locale: Locale,
    pub track: Track,
    pub variant: String,
    pub subject: String,
    /// Plain text; paragraphs separated by a blank line.
    pub body: String,
}

impl Nudge {
    pub fn paragraphs(&self) -> impl Iterator<Item = String> + '_ {
        paragraphs(&self.body)
    }
}

/// The words every nudge mail shares around its variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NudgeFrame {
    /// The line above the answer buttons.
    pub actions_intro: String,
    /// Why the reader got this mail; `{track}` is the track's name.
    pub footer: String,
}

impl NudgeFrame {
    pub const PLACEHOLDERS: &[&str] = &["track"];

    /// (field name, text), for checks that treat every field alike.
    pub fn fields(&self) -> [(&'static str, &str); 2] {
        [("actions_intro", &self.actions_intro), ("footer", &self.footer)]
    }
}

/// The words of one non-nudge mail. `body` has paragraphs separated by a
/// blank line; any field may use the kind's placeholders (`{done}`).
/// `action`, the label of the mail's one button, is there exactly when the
/// mail has one button ([`needs_action`]); promise mails' buttons are the
/// answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailText {
    pub subject: String,
    pub heading: String,
    pub body: String,
    /// The line above the mail's one button or link.
    pub actions_intro: String,
    /// The label of that button.
    pub action: Option<String>,
    /// Why the reader got this mail; the first line of the footer.
    pub footer: String,
}

impl MailText {
    /// Every field with each placeholder replaced by its value.
    pub fn filled(&self, values: &[(&str, &str)]) -> MailText {
        let f = |s: &String| fill(s, values);
        MailText {
            subject: f(&self.subject),
            heading: f(&self.heading),
            body: f(&self.body),
            actions_intro: f(&self.actions_intro),
            action: self.action.as_ref().map(f),
            footer: f(&self.footer),
        }
    }

    pub fn paragraphs(&self) -> impl Iterator<Item = String> + '_ {
        paragraphs(&self.body)
    }

    /// The button label; present whenever the kind has one button.
    pub fn action_label(&self) -> &str {
        self.action.as_deref().unwrap_or_default()
    }

    /// (field name, text), for checks that treat every field alike.
    pub fn fields(&self) -> Vec<(&'static str, &str)> {
        let mut fields = vec![
            ("subject", self.subject.as_str()),
            ("heading", &self.heading),
            ("body", &self.body),
            ("actions_intro", &self.actions_intro),
        ];
        fields.extend(self.action.as_deref().map(|a| ("action", a)));
        fields.push(("footer", &self.footer));
        fields
    }
}

/// Whether a kind's mail table must have an `action` (its one button's label).
pub fn needs_action(kind: DeliveryKind) -> bool {
    match kind.shape() {
        Shape::Plain(_) | Shape::WeeklySummary | Shape::Invitation => true,
        Shape::Nudge | Shape::Promise(_) | Shape::AnswerAgain => false,
    }
}

/// The footer notes. The operator's lines (`content.resources`,
/// `content.safety_line`) go into the `{resources}` and `{safety_line}`
/// placeholders; when a setting is empty the `_unset` text is shown instead,
/// so a reader never meets a blank or a broken link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteTexts {
    pub resources: String,
    pub resources_unset: String,
    pub safety: String,
    pub safety_unset: String,
}

impl NoteTexts {
    /// (field name, text, placeholders it may use).
    pub fn fields(&self) -> [(&'static str, &str, &'static [&'static str]); 4] {
        [
            ("resources", &self.resources, &["resources"]),
            ("resources_unset", &self.resources_unset, &[]),
            ("safety", &self.safety, &["safety_line"]),
            ("safety_unset", &self.safety_unset, &[]),
        ]
    }
}
