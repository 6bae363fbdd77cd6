//! The invitation: catalog words naming who invited, and one button to the
//! invitation's subscribe page. It carries none of the inviter's own links
//! (no preferences, no unsubscribe: the person reading it is not the
//! subscriber), only the footer notes, the safety line among them.

use super::{ActionLink, Composer, Content, FooterLinks};
use crate::domain::DeliveryKind;
use crate::domain::mail::{DeliveryRef, Recipient};

impl Composer {
    pub(super) fn invitation(&self, d: &DeliveryRef, to: &Recipient, invitation_id: i64, from_name: &str) -> Content {
        let words = self.catalog.mail(&to.locale, DeliveryKind::Invitation).filled(&[("from_name", from_name)]);
        let button = ActionLink {
            label: words.action_label().to_owned(),
            url: self.links.invitation(invitation_id, to.link_generation, d.slot),
        };
        Content::from_words(words, vec![button], FooterLinks { preferences: None, unsubscribe: None })
    }
}
