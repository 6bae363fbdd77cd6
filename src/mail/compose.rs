//! Composing emails: which words, which links, text and HTML from one model.
//!
//! Every mail kind fills one `Content` (paragraphs, action links, footer), and
//! two templates render it as the text and the HTML part, so the two parts can
//! never say different things. Links come only from `Links` (the configured
//! public URL), never from a request.
//!
//! Words come from the catalog in the subscriber's locale (falling back to
//! `en`). Every footer carries the operator's notes (where to find help, and
//! the safety note); `support` nudges show the resources line in the body too.

use std::sync::Arc;

use askama::Template;
use chrono::{DateTime, Utc};

use super::catalog::{Catalog, MailKind, Nudge};
use super::notes::{self, NoteLine, OperatorLines};

mod journey;
use crate::domain::{Action, DeliveryKind, Locale, PageFacts, SubscriberStatus, Track, variant_fingerprint};
use crate::links::Links;
use crate::store::deliveries::Claimed;

/// A rendered email, ready for a transport.
#[derive(Debug, Clone)]
pub struct OutgoingEmail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// `<key@domain>`: the same on every attempt of one delivery.
    pub message_id: String,
    /// The RFC 8058 one-click target, also linked in the body.
    pub unsubscribe_url: String,
}

pub struct ActionLink {
    pub label: String,
    pub url: String,
}

#[derive(Template)]
#[template(path = "email.txt")]
struct TextPart<'a> {
    c: &'a Content,
    lead: Option<&'a NoteLine>,
    notes: &'a [NoteLine],
}

#[derive(Template)]
#[template(path = "email.html")]
struct HtmlPart<'a> {
    c: &'a Content,
    lead: Option<&'a NoteLine>,
    notes: &'a [NoteLine],
}

/// What one email says, independent of its format.
pub struct Content {
    pub subject: String,
    pub heading: String,
    pub paragraphs: Vec<String>,
    pub actions_intro: String,
    pub actions: Vec<ActionLink>,
    pub footer: String,
    pub preferences_url: Option<String>,
    pub unsubscribe_url: String,
}

/// Builds emails for deliveries.
#[derive(Clone)]
pub struct Composer {
    links: Links,
    catalog: Arc<Catalog>,
    /// The operator's resources and safety lines (`content.*`).
    lines: OperatorLines,
    message_id_domain: String,
}

impl Composer {
    pub fn new(links: Links, catalog: Arc<Catalog>, message_id_domain: &str) -> Self {
        Self { links, catalog, lines: OperatorLines::default(), message_id_domain: message_id_domain.to_owned() }
    }

    /// Sets the operator's resources and safety lines shown in every footer.
    pub fn with_notes(mut self, lines: OperatorLines) -> Self {
        self.lines = lines;
        self
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub fn message_id(&self, message_key: &str) -> String {
        format!("<{message_key}@{}>", self.message_id_domain)
    }

    /// The double opt-in mail. `issued` is the delivery's slot, so the
    /// confirmation link is the same on every attempt.
    pub fn confirmation(
        &self,
        to: &str,
        locale: &Locale,
        subscriber_id: i64,
        issued: DateTime<Utc>,
        message_key: &str,
    ) -> OutgoingEmail {
        let action = self.links.confirm(subscriber_id, issued);
        let unsubscribe_url = self.links.unsubscribe(subscriber_id, issued);
        let content = self.mail_content(locale, MailKind::Confirm, &[], action, None, unsubscribe_url);
        self.render_in(locale, None, to, message_key, content)
    }

    /// The one mail sent when the double opt-in completes: what comes next
    /// and when. `time` and `timezone` are the subscriber's choice.
    #[allow(clippy::too_many_arguments)]
    pub fn welcome(
        &self,
        to: &str,
        locale: &Locale,
        subscriber_id: i64,
        issued: DateTime<Utc>,
        time: &str,
        timezone: &str,
        message_key: &str,
    ) -> OutgoingEmail {
        let preferences = self.links.preferences(subscriber_id, issued);
        let unsubscribe_url = self.links.unsubscribe(subscriber_id, issued);
        let values = [("time", time), ("timezone", timezone)];
        let content = self.mail_content(
            locale,
            MailKind::Welcome,
            &values,
            preferences.clone(),
            Some(preferences),
            unsubscribe_url,
        );
        self.render_in(locale, None, to, message_key, content)
    }

    /// A catalog mail's words with `values` filled in and one action link.
    /// The weekly summary and any later mail can use it too.
    pub fn mail_content(
        &self,
        locale: &Locale,
        kind: MailKind,
        values: &[(&str, &str)],
        action_url: String,
        preferences_url: Option<String>,
        unsubscribe_url: String,
    ) -> Content {
        let words = self.catalog.mail(locale, kind).filled(values);
        Content {
            paragraphs: words.paragraphs().collect(),
            subject: words.subject,
            heading: words.heading,
            actions_intro: words.actions_intro,
            actions: vec![ActionLink { label: words.action, url: action_url }],
            footer: words.footer,
            preferences_url,
            unsubscribe_url,
        }
    }

    /// A nudge with its answer links. `None` if the catalog no longer has the
    /// variant (an operator replaced the catalog); the caller then falls back.
    pub fn nudge(
        &self,
        to: &str,
        subscriber_id: i64,
        delivery_id: i64,
        nudge: &Nudge,
        slot: DateTime<Utc>,
        message_key: &str,
    ) -> OutgoingEmail {
        let page = PageFacts { subscriber_id, track: nudge.track, variant: variant_fingerprint(&nudge.variant) };
        let answer = |action| ActionLink {
            label: Action::label(action).into(),
            url: self.links.answer_with(delivery_id, slot, &page, action),
        };
        let content = Content {
            subject: nudge.subject.clone(),
            heading: nudge.subject.clone(),
            paragraphs: nudge.paragraphs().collect(),
            actions_intro: "How did it go? One click tells tend, and steers what comes next:".into(),
            actions: [Action::Done, Action::Partly, Action::NotYet, Action::Snooze, Action::PauseTrack]
                .into_iter()
                .map(answer)
                .collect(),
            footer: format!("This is your {} nudge from tend.", nudge.track.title().to_lowercase()),
            preferences_url: Some(self.links.preferences(subscriber_id, slot)),
            unsubscribe_url: self.links.unsubscribe(subscriber_id, slot),
        };
        let resources =
            (nudge.track == Track::Support).then(|| notes::resources(self.catalog.notes(&nudge.locale), &self.lines));
        self.render_in(&nudge.locale, resources.as_ref(), to, message_key, content)
    }

    /// Renders a claimed delivery, or `None` when the subscription moved on
    /// since it was queued (a confirmation for someone already active, a
    /// nudge for someone paused or gone).
    pub fn for_delivery(&self, d: &Claimed) -> anyhow::Result<Option<OutgoingEmail>> {
        let status = SubscriberStatus::from_key(&d.subscriber_status)?;
        let locale = Locale::or_en(&d.locale);
        Ok(match d.kind()? {
            DeliveryKind::Confirm if status == SubscriberStatus::Pending => {
                Some(self.confirmation(&d.email, &locale, d.subscriber_id, d.slot, &d.message_key))
            }
            DeliveryKind::Welcome if matches!(status, SubscriberStatus::Active | SubscriberStatus::Paused) => {
                let time = d.send_time.format("%H:%M").to_string();
                Some(self.welcome(&d.email, &locale, d.subscriber_id, d.slot, &time, &d.timezone, &d.message_key))
            }
            DeliveryKind::Nudge if status == SubscriberStatus::Active => Some(self.nudge_for(d)?),
            DeliveryKind::KeepGoing if status == SubscriberStatus::Resting => {
                Some(self.keep_going(&d.email, &locale, d.subscriber_id, d.slot, &d.message_key))
            }
            DeliveryKind::Test => Some(self.nudge_for(d)?),
            // These read the database and sealed text: see `render_delivery`.
            DeliveryKind::PromiseCheck | DeliveryKind::PromiseReview | DeliveryKind::WeeklySummary => {
                anyhow::bail!("{} mails are rendered by Composer::render_delivery", d.kind)
            }
            DeliveryKind::Confirm | DeliveryKind::Welcome | DeliveryKind::Nudge | DeliveryKind::KeepGoing => None,
        })
    }

    fn nudge_for(&self, d: &Claimed) -> anyhow::Result<OutgoingEmail> {
        let track = Track::parse(d.track.as_deref().unwrap_or_default())?;
        let nudge = self.nudge_text_in(&Locale::or_en(&d.locale), track, d.variant.as_deref().unwrap_or_default());
        Ok(self.nudge(&d.email, d.subscriber_id, d.id, nudge, d.slot, &d.message_key))
    }

    /// The one mail a subscriber gets after several unanswered nudges.
    pub fn keep_going(
        &self,
        to: &str,
        locale: &Locale,
        subscriber_id: i64,
        issued: DateTime<Utc>,
        message_key: &str,
    ) -> OutgoingEmail {
        let resume = self.links.resume(subscriber_id, issued);
        let preferences = Some(self.links.preferences(subscriber_id, issued));
        let unsubscribe_url = self.links.unsubscribe(subscriber_id, issued);
        let content = self.mail_content(locale, MailKind::KeepGoing, &[], resume, preferences, unsubscribe_url);
        self.render_in(locale, None, to, message_key, content)
    }

    /// Finds the nudge a delivery refers to, or the track's first variant if
    /// an operator's new catalog dropped it.
    pub fn nudge_text(&self, track: Track, variant: &str) -> &Nudge {
        self.catalog.nudge(track, variant).unwrap_or_else(|| self.catalog.next_variant(track, None))
    }

    /// The same in the subscriber's locale, falling back to `en`.
    pub fn nudge_text_in(&self, locale: &Locale, track: Track, variant: &str) -> &Nudge {
        self.catalog.nudge_in(locale, track, variant).unwrap_or_else(|| self.catalog.next_variant(track, None))
    }

    /// Renders with the `en` footer notes.
    fn render(&self, to: &str, message_key: &str, content: Content) -> OutgoingEmail {
        self.render_in(&Locale::en(), None, to, message_key, content)
    }

    /// Renders both parts with the footer notes in `locale`; `lead` is a note
    /// shown after the paragraphs (the resources line of `support` nudges).
    pub fn render_in(
        &self,
        locale: &Locale,
        lead: Option<&NoteLine>,
        to: &str,
        message_key: &str,
        content: Content,
    ) -> OutgoingEmail {
        let mut notes = notes::footer(&self.catalog, locale, &self.lines);
        if lead.is_some() {
            // The resources line is already in the body; say it once.
            notes.remove(0);
        }
        let text = TextPart { c: &content, lead, notes: &notes }.render().expect("text templates cannot fail");
        let html = HtmlPart { c: &content, lead, notes: &notes }.render().expect("html templates cannot fail");
        OutgoingEmail {
            to: to.to_owned(),
            subject: content.subject,
            text,
            html,
            message_id: self.message_id(message_key),
            unsubscribe_url: content.unsubscribe_url,
        }
    }
}
