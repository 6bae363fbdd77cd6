//! Composing emails: which words, which links, text and HTML from one model.
//!
//! Every mail kind fills one `Content` (paragraphs, action links, footer), and
//! two templates render it as the text and the HTML part, so the two parts can
//! never say different things. Links come only from `Links` (the configured
//! public URL), never from a request.

use std::sync::Arc;

use askama::Template;
use chrono::{DateTime, Utc};

use super::catalog::{Catalog, Nudge};
use crate::domain::{Action, DeliveryKind, SubscriberStatus, Track};
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
}

#[derive(Template)]
#[template(path = "email.html")]
struct HtmlPart<'a> {
    c: &'a Content,
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
    message_id_domain: String,
}

impl Composer {
    pub fn new(links: Links, catalog: Arc<Catalog>, message_id_domain: &str) -> Self {
        Self { links, catalog, message_id_domain: message_id_domain.to_owned() }
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
        subscriber_id: i64,
        issued: DateTime<Utc>,
        message_key: &str,
    ) -> OutgoingEmail {
        let unsubscribe_url = self.links.unsubscribe(subscriber_id, issued);
        let content = Content {
            subject: "Please confirm your tend subscription".into(),
            heading: "One click to start".into(),
            paragraphs: vec![
                "Someone, hopefully you, asked tend to send gentle daily nudges for rebuilding trust to this address."
                    .into(),
                "Open the link below and press Confirm to start. The link works for seven days.".into(),
                "If this wasn't you, ignore this mail: nothing more will come.".into(),
            ],
            actions_intro: "Confirm your subscription:".into(),
            actions: vec![ActionLink { label: "Confirm".into(), url: self.links.confirm(subscriber_id, issued) }],
            footer: "You received this because this address was entered on tend's subscribe page.".into(),
            preferences_url: None,
            unsubscribe_url,
        };
        self.render(to, message_key, content)
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
        let answer = |action| ActionLink {
            label: Action::label(action).into(),
            url: self.links.answer_with(delivery_id, slot, action),
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
        self.render(to, message_key, content)
    }

    /// Renders a claimed delivery, or `None` when the subscription moved on
    /// since it was queued (a confirmation for someone already active, a
    /// nudge for someone paused or gone).
    pub fn for_delivery(&self, d: &Claimed) -> anyhow::Result<Option<OutgoingEmail>> {
        let status = SubscriberStatus::from_key(&d.subscriber_status)?;
        Ok(match d.kind()? {
            DeliveryKind::Confirm if status == SubscriberStatus::Pending => {
                Some(self.confirmation(&d.email, d.subscriber_id, d.slot, &d.message_key))
            }
            DeliveryKind::Nudge if status == SubscriberStatus::Active => Some(self.nudge_for(d)?),
            DeliveryKind::KeepGoing if status == SubscriberStatus::Resting => {
                Some(self.keep_going(&d.email, d.subscriber_id, d.slot, &d.message_key))
            }
            DeliveryKind::Test => Some(self.nudge_for(d)?),
            DeliveryKind::Confirm | DeliveryKind::Nudge | DeliveryKind::KeepGoing => None,
        })
    }

    fn nudge_for(&self, d: &Claimed) -> anyhow::Result<OutgoingEmail> {
        let track = Track::parse(d.track.as_deref().unwrap_or_default())?;
        let nudge = self.nudge_text(track, d.variant.as_deref().unwrap_or_default());
        Ok(self.nudge(&d.email, d.subscriber_id, d.id, nudge, d.slot, &d.message_key))
    }

    /// The one mail a subscriber gets after several unanswered nudges.
    pub fn keep_going(&self, to: &str, subscriber_id: i64, issued: DateTime<Utc>, message_key: &str) -> OutgoingEmail {
        let content = Content {
            subject: "Shall we keep going?".into(),
            heading: "Shall we keep going?".into(),
            paragraphs: vec![
                "The last few nudges went unanswered, so tend has gone quiet. That's completely fine: life gets full.".into(),
                "If you'd like the nudges back, one click starts them again, gently. If not, there is nothing to do; this is the only mail you will get until you choose.".into(),
            ],
            actions_intro: "Start again whenever you are ready:".into(),
            actions: vec![ActionLink { label: "Keep going".into(), url: self.links.resume(subscriber_id, issued) }],
            footer: "You get this because you subscribed to tend and its nudges went unanswered for a while.".into(),
            preferences_url: Some(self.links.preferences(subscriber_id, issued)),
            unsubscribe_url: self.links.unsubscribe(subscriber_id, issued),
        };
        self.render(to, message_key, content)
    }

    /// Finds the nudge a delivery refers to, or the track's first variant if
    /// an operator's new catalog dropped it.
    pub fn nudge_text(&self, track: Track, variant: &str) -> &Nudge {
        self.catalog.nudge(track, variant).unwrap_or_else(|| self.catalog.next_variant(track, None))
    }

    fn render(&self, to: &str, message_key: &str, content: Content) -> OutgoingEmail {
        let text = TextPart { c: &content }.render().expect("text templates cannot fail");
        let html = HtmlPart { c: &content }.render().expect("html templates cannot fail");
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
