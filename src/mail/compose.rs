//! Composing emails: a pure function from a [`MailContext`] to an
//! [`OutgoingEmail`].
//!
//! Every mail fills one [`Content`] (heading, paragraphs, buttons, footer,
//! and for the HTML part any figures), and two templates render it as the
//! text and the HTML part, so the two parts never say different things.
//! [`Composer::compose`] matches on the body's shape; a plain mail (catalog
//! words and one button to a page) needs no code of its own here. Links come
//! only from [`Links`] (the configured public URL), never from a request.
//!
//! Words come from the catalog in the recipient's locale, falling back to
//! `en` per text. A discreet recipient's mail takes its From name, subject
//! and heading from the catalog's discreet words instead, the subject picked
//! by the delivery's id; the rest of the mail is the same. Every footer carries the operator's notes (where to find
//! help, and the safety note); `support` nudges show the resources line in
//! the body instead. Nothing here reads the database or a clock: the store
//! loads the context, the sender sends the result.
//!
//! The frame around the catalog's words (answer buttons, the footer's
//! links, track names, dates) comes from [`crate::i18n`] in the same
//! locale, which the mail also declares in `Content-Language`.

use std::sync::Arc;

use askama::Template;

use super::catalog::{Catalog, MailText};
use super::notes::{self, NoteLine, OperatorLines};
use crate::domain::mail::{DeliveryRef, MailBody, MailContext, Recipient};
use crate::domain::{AddressKind, InboundDomain, Locale, Page, PlainMail};
use crate::i18n::{self, Tr};
use crate::links::Links;

mod answer_again;
mod invitation;
mod nudge;
mod promise;
mod summary;

pub use summary::week_numbers;

/// A rendered email, ready for a transport.
#[derive(Debug, Clone)]
pub struct OutgoingEmail {
    pub to: String,
    /// The From display name instead of `mail.from`'s (discreet mail); the
    /// address is always `mail.from`'s.
    pub from_name: Option<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// `<key@domain>`: the same on every attempt of one delivery.
    pub message_id: String,
    /// The RFC 8058 one-click target, also linked in the body. An
    /// invitation has none: it goes to someone who never subscribed, and
    /// is the only mail they get unless they act.
    pub unsubscribe_url: Option<String>,
    /// `Content-Language`: the locale the mail is written in.
    pub language: &'static str,
    /// `Reply-To`: the address where a reply answers the mail's question
    /// (nudges, promise mails, "could not read your reply").
    pub reply_to: Option<String>,
    /// The envelope sender (Return-Path), this delivery's bounce address;
    /// `None` leaves it to the transport (the From address).
    pub envelope_from: Option<String>,
}

pub struct ActionLink {
    pub label: String,
    pub url: String,
}

/// A picture shown in the HTML part only, after the buttons (the weekly
/// summary's heatmaps); the text part says the same in words.
pub struct Figure {
    pub title: String,
    /// Trusted markup: tend's own SVG, every value in it escaped.
    pub svg: String,
}

#[derive(Template)]
#[template(path = "email.txt")]
struct TextPart<'a> {
    t: Tr,
    c: &'a Content,
    lead: Option<&'a NoteLine>,
    notes: &'a [NoteLine],
}

#[derive(Template)]
#[template(path = "email.html")]
struct HtmlPart<'a> {
    t: Tr,
    c: &'a Content,
    lead: Option<&'a NoteLine>,
    notes: &'a [NoteLine],
}

/// What one email says, independent of its format.
pub struct Content {
    pub subject: String,
    pub heading: String,
    pub paragraphs: Vec<String>,
    /// A note shown after the paragraphs (the resources line of `support`
    /// nudges); the footer then leaves it out.
    pub lead: Option<NoteLine>,
    pub actions_intro: String,
    pub actions: Vec<ActionLink>,
    pub figures: Vec<Figure>,
    pub footer: String,
    pub preferences_url: Option<String>,
    pub unsubscribe_url: Option<String>,
}

impl Content {
    /// A catalog mail's words (already filled), with `actions` as its buttons.
    fn from_words(words: MailText, actions: Vec<ActionLink>, links: FooterLinks) -> Self {
        Content {
            paragraphs: words.paragraphs().collect(),
            subject: words.subject,
            heading: words.heading,
            lead: None,
            actions_intro: words.actions_intro,
            actions,
            figures: Vec::new(),
            footer: words.footer,
            preferences_url: links.preferences,
            unsubscribe_url: links.unsubscribe,
        }
    }
}

/// The links a footer carries: every subscriber's mail has both (a
/// confirmation no preferences link); an invitation neither.
struct FooterLinks {
    preferences: Option<String>,
    unsubscribe: Option<String>,
}

/// Builds emails. Cheap to share: the catalog is behind an `Arc`.
#[derive(Clone)]
pub struct Composer {
    links: Links,
    catalog: Arc<Catalog>,
    /// The operator's resources and safety lines (`content.*`).
    lines: OperatorLines,
    message_id_domain: String,
    /// Where replies and bounces reach tend (`inbound.domain`), when they can.
    inbound: Option<InboundDomain>,
}

impl Composer {
    pub fn new(links: Links, catalog: Arc<Catalog>, lines: OperatorLines, message_id_domain: &str) -> Self {
        Self { links, catalog, lines, message_id_domain: message_id_domain.to_owned(), inbound: None }
    }

    /// Mails carry reply and bounce addresses at `domain` (see
    /// `config::InboundSettings`); without this they carry neither.
    pub fn with_inbound(mut self, domain: Option<InboundDomain>) -> Self {
        self.inbound = domain;
        self
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The email for one delivery.
    pub fn compose(&self, mail: &MailContext) -> OutgoingEmail {
        let mut content = match &mail.body {
            MailBody::Plain { mail: plain, values } => self.plain(&mail.delivery, &mail.to, *plain, values),
            MailBody::Nudge { track, variant } => self.nudge(&mail.delivery, &mail.to, *track, variant),
            MailBody::Promise(which) => self.promise(&mail.delivery, &mail.to, *which),
            MailBody::WeeklySummary(week) => self.weekly_summary(&mail.delivery, &mail.to, week),
            MailBody::Invitation { invitation_id, from_name } => {
                self.invitation(&mail.delivery, &mail.to, *invitation_id, from_name)
            }
            MailBody::AnswerAgain(again) => self.answer_again(&mail.delivery, &mail.to, again),
        };
        let from_name = mail.to.discreet.then(|| {
            let words = self.catalog.discreet(&mail.to.locale, mail.body.kind());
            content.subject = words.subject_for(mail.delivery.id).to_owned();
            content.heading = words.heading.clone();
            self.catalog.discreet_from(&mail.to.locale).to_owned()
        });
        let email = OutgoingEmail { from_name, ..self.render(&mail.delivery, &mail.to, content) };
        self.with_return_addresses(email, mail)
    }

    /// Every mail's bounces come back to its own address; replies to a mail
    /// that asks something answer it (a "could not read your reply" mail
    /// takes replies for the mail it is about). Both carry the recipient's
    /// link generation, as the mail's links do.
    ///
    /// An invitation carries neither: it goes to someone who is not the
    /// row's subscriber, so a bounce or complaint about it must not act on
    /// the inviter's subscription.
    fn with_return_addresses(&self, email: OutgoingEmail, mail: &MailContext) -> OutgoingEmail {
        let Some(domain) = &self.inbound else { return email };
        if let MailBody::Invitation { .. } = mail.body {
            return email;
        }
        let (d, generation) = (&mail.delivery, mail.to.link_generation);
        let answers = match &mail.body {
            MailBody::Nudge { .. } | MailBody::Promise(_) => Some((d.id, d.slot)),
            MailBody::AnswerAgain(again) => Some((again.about_id, again.about_slot)),
            MailBody::Plain { .. } | MailBody::WeeklySummary(_) | MailBody::Invitation { .. } => None,
        };
        OutgoingEmail {
            reply_to: answers.map(|(id, slot)| self.links.address(AddressKind::Reply, id, generation, slot, domain)),
            envelope_from: Some(self.links.address(AddressKind::Bounce, d.id, generation, d.slot, domain)),
            ..email
        }
    }

    /// Catalog words with their placeholders filled, and one button that
    /// opens the mail's page. A confirmation has no preferences link yet:
    /// there is nothing to prefer before the subscription exists; a fresh
    /// link's button is the preferences link.
    fn plain(&self, d: &DeliveryRef, to: &Recipient, mail: PlainMail, values: &[(&str, String)]) -> Content {
        let values: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let words = self.catalog.mail(&to.locale, mail.kind()).filled(&values);
        let page = mail.page();
        let button = ActionLink { label: words.action_label().to_owned(), url: self.page_url(page, d, to) };
        let mut links = self.footer_links(d, to);
        match page {
            Page::Confirm | Page::FreshPreferences => links.preferences = None,
            Page::Preferences | Page::Resume => {}
        }
        Content::from_words(words, vec![button], links)
    }

    fn page_url(&self, page: Page, d: &DeliveryRef, to: &Recipient) -> String {
        let owner = to.link_owner();
        match page {
            Page::Confirm => self.links.confirm(owner, d.slot),
            Page::Preferences => self.links.preferences(owner, d.slot),
            Page::FreshPreferences => self.links.fresh_preferences(owner, d.slot),
            Page::Resume => self.links.resume(owner, d.slot),
        }
    }

    /// Links are signed for the delivery's slot, so every attempt of one
    /// delivery renders the same mail.
    fn footer_links(&self, d: &DeliveryRef, to: &Recipient) -> FooterLinks {
        FooterLinks {
            preferences: Some(self.links.preferences(to.link_owner(), d.slot)),
            unsubscribe: Some(self.links.unsubscribe(to.link_owner(), d.slot)),
        }
    }

    fn message_id(&self, message_key: &str) -> String {
        format!("<{message_key}@{}>", self.message_id_domain)
    }

    /// Renders both parts with the footer notes in the recipient's locale.
    fn render(&self, d: &DeliveryRef, to: &Recipient, content: Content) -> OutgoingEmail {
        let notes = self.footer_notes(&to.locale, content.lead.is_some());
        let lead = content.lead.as_ref();
        let t = i18n::tr(&to.locale);
        let text = render_part(&TextPart { t, c: &content, lead, notes: &notes });
        let html = render_part(&HtmlPart { t, c: &content, lead, notes: &notes });
        OutgoingEmail {
            to: to.email.as_str().to_owned(),
            from_name: None,
            subject: content.subject,
            text,
            html,
            message_id: self.message_id(&d.message_key),
            unsubscribe_url: content.unsubscribe_url,
            language: t.lang(),
            reply_to: None,
            envelope_from: None,
        }
    }

    /// The resources and safety notes; the resources line is left out when
    /// the body already shows it.
    fn footer_notes(&self, locale: &Locale, resources_in_body: bool) -> Vec<NoteLine> {
        let texts = self.catalog.notes(locale);
        let safety = notes::safety(texts, &self.lines);
        match resources_in_body {
            true => vec![safety],
            false => vec![notes::resources(texts, &self.lines), safety],
        }
    }
}

/// The mail templates print only strings into a `String`, which cannot fail
/// (askama's only errors are formatter errors and custom filters, and these
/// templates use neither); every kind is rendered by the unit tests and every
/// catalog text by the lint.
fn render_part(part: &impl Template) -> String {
    part.render().expect("mail templates print only strings and cannot fail")
}
