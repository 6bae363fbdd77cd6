//! The nudge mail: the variant's words inside the catalog's nudge frame,
//! with one answer button per [`Action`].
//!
//! Answer links carry what the answer page shows (subscriber, track, a
//! fingerprint of the variant), so opening one reads only the subscriber's
//! link generation from the database.

use chrono::{DateTime, Utc};

use super::{ActionLink, Composer, Content};
use crate::domain::mail::{DeliveryRef, Recipient};
use crate::domain::{Action, PageFacts, Track, variant_fingerprint};
use crate::i18n;
use crate::mail::catalog::{Nudge, fill};
use crate::mail::notes;

impl Composer {
    pub(super) fn nudge(&self, d: &DeliveryRef, to: &Recipient, track: Track, variant: &str) -> Content {
        let nudge = self.nudge_text(&to.locale, track, variant);
        let frame = self.catalog.nudge_frame(&to.locale);
        let t = i18n::tr(&to.locale);
        let links = self.footer_links(d, to);
        Content {
            subject: nudge.subject.clone(),
            heading: nudge.subject.clone(),
            paragraphs: nudge.paragraphs().collect(),
            lead: (track == Track::Support).then(|| notes::resources(self.catalog.notes(&to.locale), &self.lines)),
            actions_intro: frame.actions_intro.clone(),
            actions: self.answer_buttons(d.id, d.slot, to, track, variant),
            figures: Vec::new(),
            footer: fill(&frame.footer, &[("track", &t.track_in_sentence(track))]),
            preferences_url: links.preferences,
            unsubscribe_url: links.unsubscribe,
        }
    }

    /// One button per [`Action`] for the nudge delivery `id`; its links
    /// carry what the answer page shows. The "could not read your reply"
    /// mail offers the same buttons for the nudge it is about.
    pub(super) fn answer_buttons(
        &self,
        id: i64,
        slot: DateTime<Utc>,
        to: &Recipient,
        track: Track,
        variant: &str,
    ) -> Vec<ActionLink> {
        let shown = &self.nudge_text(&to.locale, track, variant).variant;
        let page = PageFacts { subscriber_id: to.subscriber_id, track, variant: variant_fingerprint(shown) };
        let t = i18n::tr(&to.locale);
        let answer = |action: Action| ActionLink {
            label: t.action(action),
            url: self.links.answer_with(id, to.link_generation, slot, &page, action),
        };
        Action::ALL.into_iter().map(answer).collect()
    }

    /// The variant in the recipient's locale (falling back to `en`), or the
    /// track's first variant if an operator's new catalog dropped it.
    pub fn nudge_text(&self, locale: &crate::domain::Locale, track: Track, variant: &str) -> &Nudge {
        self.catalog.nudge_in(locale, track, variant).unwrap_or_else(|| self.catalog.next_variant(locale, track, None))
    }
}
