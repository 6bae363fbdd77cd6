//! "tend could not read your reply": the catalog's short words and the
//! answer buttons of the mail the reply was about, built by the same code
//! as that mail's own buttons, so a press records exactly what it would
//! have recorded there.

use super::{Composer, Content};
use crate::domain::DeliveryKind;
use crate::domain::mail::{AnswerAgain, Buttons, DeliveryRef, Recipient};

impl Composer {
    pub(super) fn answer_again(&self, d: &DeliveryRef, to: &Recipient, again: &AnswerAgain) -> Content {
        let words = self.catalog.mail(&to.locale, DeliveryKind::ReplyUnclear).clone();
        let buttons = match &again.buttons {
            Buttons::Nudge { track, variant } => {
                self.answer_buttons(again.about_id, again.about_slot, to, *track, variant)
            }
            Buttons::Promise(which) => self.promise_buttons(again.about_id, to, again.about_slot, *which),
        };
        Content::from_words(words, buttons, self.footer_links(d, to))
    }
}
