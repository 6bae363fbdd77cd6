//! Server-rendered pages. Every page works without JavaScript, loads nothing
//! from a third party and escapes everything it prints (askama does).

use askama::Template;
use axum::response::Html;

use super::AppState;
use super::error::AppError;
use super::opened::verify_current;
use crate::domain::{Action, Locale, Purpose, Track};
use crate::i18n::{self, Tr};
use crate::mail::notes::NoteLine;

/// Renders a page; askama templates only fail on formatter errors, which our
/// types do not produce, so a failure is logged and shown as a plain message.
pub fn render(page: &impl Template) -> String {
    page.render().unwrap_or_else(|err| {
        tracing::error!(error = %err, "page template failed");
        "Something went wrong on our side.".to_owned()
    })
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub t: Tr,
    pub title: String,
    pub message: String,
    /// The form that mails a fresh link (behind a switched-off link).
    pub offer_fresh_link: bool,
}

/// A title, a few paragraphs and at most one button that posts back.
#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    pub t: Tr,
    pub title: String,
    pub paragraphs: Vec<String>,
    pub button: Option<Button>,
    pub link: Option<(String, String)>,
    /// The form that mails a fresh link to an address on file.
    pub fresh_link_form: bool,
}

pub struct Button {
    pub action: String,
    pub label: String,
    /// Hidden `(name, value)` sent with the button.
    pub field: Option<(String, String)>,
}

impl MessagePage {
    pub fn new(t: Tr, title: impl Into<String>, paragraphs: Vec<String>) -> Self {
        Self { t, title: title.into(), paragraphs, button: None, link: None, fresh_link_form: false }
    }

    /// A page whose title and paragraphs are all messages of `t`.
    pub fn of(t: Tr, title: &str, paragraphs: &[&str]) -> Self {
        Self::new(t, t.get(title), paragraphs.iter().map(|id| t.get(id)).collect())
    }

    pub fn with_fresh_link_form(mut self) -> Self {
        self.fresh_link_form = true;
        self
    }

    /// A button labelled with the message `label`.
    pub fn with_button(mut self, action: String, label: &str) -> Self {
        self.button = Some(Button { action, label: self.t.get(label), field: None });
        self
    }

    /// A link labelled with the message `label`.
    pub fn with_link(mut self, url: String, label: &str) -> Self {
        self.link = Some((url, self.t.get(label)));
        self
    }
}

/// The `GET` page behind an emailed link that changes something: it only
/// shows what the button will do. The button posts back to the same address,
/// so a mail scanner that fetches the link changes nothing. Its words are
/// message ids, shown in the subscriber's language.
pub struct ButtonPage {
    pub purpose: Purpose,
    /// The route's first segment (`confirm` for `/confirm/{token}`).
    pub path: &'static str,
    pub title: &'static str,
    pub paragraph: &'static str,
    pub label: &'static str,
}

impl ButtonPage {
    /// Checks the token (and its generation), then renders the page.
    pub async fn show(&self, state: &AppState, token: &str) -> Result<Html<String>, AppError> {
        let (_, locale) = verify_current(state, token, self.purpose).await?;
        let page = MessagePage::of(i18n::tr(&locale), self.title, &[self.paragraph])
            .with_button(state.links.absolute(&format!("{}/{token}", self.path)), self.label);
        Ok(Html(render(&page)))
    }
}

pub struct TrackChoice {
    pub key: &'static str,
    pub title: String,
    pub blurb: String,
    pub checked: bool,
    /// For the partner trying to trust again: listed in a group of its own.
    pub partner: bool,
}

impl TrackChoice {
    pub fn list(t: Tr, is_checked: impl Fn(Track) -> bool) -> Vec<TrackChoice> {
        Track::ALL
            .into_iter()
            .map(|track| TrackChoice {
                key: track.key(),
                title: t.track(track),
                blurb: t.track_blurb(track),
                checked: is_checked(track),
                partner: track.is_for_partner(),
            })
            .collect()
    }
}

/// The language picker's options: (tag, the language's own name, chosen).
pub fn language_choices(chosen: &Locale) -> Vec<(&'static str, String, bool)> {
    Locale::SUPPORTED
        .into_iter()
        .map(|tag| {
            let locale = Locale::or_en(tag);
            (tag, i18n::tr(&locale).get("language-name"), locale == *chosen)
        })
        .collect()
}

#[derive(Template)]
#[template(path = "subscribe.html")]
pub struct SubscribePage {
    pub t: Tr,
    pub languages: Vec<(&'static str, String, bool)>,
    pub zones: Vec<&'static str>,
    pub tracks: Vec<TrackChoice>,
    pub time: String,
    /// The token of the invitation whose link opened the page, sent back
    /// with the form; the page then says it came from an invitation.
    pub invitation: Option<String>,
    /// The operator's safety line, on the invitation's page.
    pub safety_note: Option<NoteLine>,
}

#[derive(Template)]
#[template(path = "nudge.html")]
pub struct NudgePage {
    pub t: Tr,
    pub subject: String,
    pub paragraphs: Vec<String>,
    pub track_title: String,
    pub action_url: String,
    pub actions: Vec<(&'static str, String, bool)>,
    /// Set once an answer exists: what it was and what happens next.
    pub recorded: Option<Recorded>,
    /// What a side action (a fresh link, a promise) did.
    pub notice: Option<String>,
    /// Follow-through nudges offer to write a promise down.
    pub offer_promise: bool,
    /// Today in the subscriber's zone (the earliest due date).
    pub today: String,
}

pub struct Recorded {
    pub acknowledgement: String,
    /// "You already answered … on …": the answer and when.
    pub already: String,
    pub next: String,
    pub just_now: bool,
}

impl NudgePage {
    pub fn actions(t: Tr, preselected: Option<Action>) -> Vec<(&'static str, String, bool)> {
        Action::ALL.into_iter().map(|a| (a.key(), t.action(a), Some(a) == preselected)).collect()
    }
}

pub struct TrackProgress {
    pub title: String,
    /// "next Tuesday 3 March at 08:30 (in 6 days)", or "off".
    pub next: String,
    /// The 12-week heatmap, server-rendered SVG.
    pub heatmap: String,
    /// The same in words, beside the chart.
    pub summary: String,
}

/// The promise record, and what is still ahead.
pub struct PromiseRecord {
    /// "Kept 1 · kept late 0 · …".
    pub counts: String,
    /// (words, due) of promises not yet due; in place of the words, why
    /// they are not shown.
    pub upcoming: Vec<(String, String)>,
}

/// The partner part of the preferences page: this side's own facts only.
pub struct PartnerSection {
    pub linked: bool,
    /// This side's own switch for the shared signal.
    pub signal: bool,
}

#[derive(Template)]
#[template(path = "preferences.html")]
pub struct PreferencesPage {
    pub t: Tr,
    pub action_url: String,
    /// "For … · subscription active".
    pub for_line: String,
    pub status: &'static str,
    pub languages: Vec<(&'static str, String, bool)>,
    pub zones: Vec<&'static str>,
    pub zone: &'static str,
    pub time: String,
    pub max_per_day: u32,
    pub discreet: bool,
    pub tracks: Vec<TrackChoice>,
    pub progress: Vec<TrackProgress>,
    pub promises: PromiseRecord,
    /// Today in the subscriber's zone, the earliest due date a promise may have.
    pub today: String,
    pub weekly_summary: bool,
    pub partner: PartnerSection,
    /// Opened from a link at most a day old: promise words and deleting.
    pub fresh: bool,
    /// The operator's safety line, framed by the catalog's note.
    pub safety_note: NoteLine,
    pub notice: Option<String>,
}

pub struct OutboxItem {
    pub when: String,
    pub to: String,
    pub subject: String,
    /// The text part, split into plain runs and links.
    pub parts: Vec<(String, bool)>,
}

#[derive(Template)]
#[template(path = "outbox.html")]
pub struct OutboxPage {
    /// The local outbox is the operator's page: always `en`.
    pub t: Tr,
    pub folder: String,
    pub items: Vec<OutboxItem>,
}

/// Every IANA zone name, for the zone pickers.
pub fn zone_names() -> Vec<&'static str> {
    chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect()
}

#[derive(Template)]
#[template(path = "promise.html")]
pub struct PromisePage {
    pub t: Tr,
    /// The promise's words, when this link may show them and they open.
    pub text: Option<String>,
    /// Why the words are not shown.
    pub words_note: Option<String>,
    /// "Your promise, due …".
    pub due: String,
    pub question: String,
    pub action_url: String,
    pub buttons: Vec<(&'static str, String, bool)>,
    /// "Your answer: …", once one is recorded.
    pub recorded: Option<String>,
    pub notice: Option<String>,
    /// The words for telling a partner early, after "I need to say it early".
    pub script: Option<Vec<String>>,
}
