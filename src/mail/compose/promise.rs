//! The two promise mails: catalog words and one button per answer, each
//! opening the promise's page with that answer preselected.
//!
//! They name neither the promise's words nor its due time: the words stay
//! sealed in the database and appear only on the page behind the link.

use chrono::{DateTime, Utc};

use super::{ActionLink, Composer, Content};
use crate::domain::PromiseMail;
use crate::domain::mail::{DeliveryRef, Recipient};
use crate::domain::promise::{CheckAnswer, Outcome};
use crate::i18n;

impl Composer {
    pub(super) fn promise(&self, d: &DeliveryRef, to: &Recipient, which: PromiseMail) -> Content {
        let words = self.catalog.mail(&to.locale, which.kind()).clone();
        Content::from_words(words, self.promise_buttons(d.id, to, d.slot, which), self.footer_links(d, to))
    }

    /// One button per answer to the question of promise mail `id`. The
    /// "could not read your reply" mail offers the same buttons.
    pub(super) fn promise_buttons(
        &self,
        id: i64,
        to: &Recipient,
        slot: DateTime<Utc>,
        which: PromiseMail,
    ) -> Vec<ActionLink> {
        let t = i18n::tr(&to.locale);
        let button = |key: &str, label: String| ActionLink {
            label,
            url: self.links.promise(id, to.link_generation, slot, Some(key)),
        };
        match which {
            PromiseMail::Check => CheckAnswer::ALL.into_iter().map(|a| button(a.key(), t.check_answer(a))).collect(),
            PromiseMail::Review => Outcome::ALL.into_iter().map(|o| button(o.key(), t.outcome(o))).collect(),
        }
    }
}
