//! The answer link's token. Besides the nudge (delivery) it answers, it
//! carries what the nudge's page shows: the subscriber, the track and a
//! fingerprint of the catalog variant. So `GET /n/{token}` renders from the
//! signed link and the catalog, reading nothing from PostgreSQL but the
//! subscriber's link generation (one batched, indexed read): mail scanners
//! that fetch every link in every mail (and people opening a nudge) cost
//! the database little. What the database knows (an earlier answer, an
//! erased subscriber) is told by the POST, which always reads it.
//!
//! Layout: the layout-2 token of [`super::token`] with purpose `Nudge`,
//! followed by `subscriber ‖ track ‖ variant`: 78 characters. Answer links
//! minted before generations (62 characters: layout 1 with the same facts)
//! and before page facts (purpose `Answer`, 44 characters) still verify;
//! the latter's claims carry no page facts and their page reads the database.

use chrono::{DateTime, Utc};

use super::token::{self, Claims};
use super::{LinkSigner, Purpose, TokenError, Track};

/// The bytes page facts take: subscriber ‖ track ‖ variant.
const FACTS_LEN: usize = 8 + 1 + 4;
/// A layout-1 nudge body.
pub(super) const LAYOUT_1_LEN: usize = token::LAYOUT_1_LEN + FACTS_LEN;
/// A layout-2 nudge body.
pub(super) const LAYOUT_2_LEN: usize = token::LAYOUT_2_LEN + FACTS_LEN;

/// What an answer page shows, as the link carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageFacts {
    pub subscriber_id: i64,
    pub track: Track,
    /// [`variant_fingerprint`] of the variant the mail showed.
    pub variant: u32,
}

/// A stable 32-bit FNV-1a hash of a variant key: short enough for a link,
/// and a catalog edit that drops the variant only sends the page to the
/// database.
pub fn variant_fingerprint(variant: &str) -> u32 {
    variant.bytes().fold(0x811c_9dc5_u32, |hash, byte| (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193))
}

pub(super) fn append_facts(body: &mut Vec<u8>, facts: &PageFacts) {
    body.extend_from_slice(&facts.subscriber_id.to_be_bytes());
    body.push(facts.track.code());
    body.extend_from_slice(&facts.variant.to_be_bytes());
}

pub(super) fn read_facts(bytes: &[u8]) -> Result<PageFacts, TokenError> {
    if bytes.len() != FACTS_LEN {
        return Err(TokenError::Invalid);
    }
    let subscriber_id = i64::from_be_bytes(bytes[0..8].try_into().map_err(|_| TokenError::Invalid)?);
    let track = Track::from_code(bytes[8]).ok_or(TokenError::Invalid)?;
    let variant = u32::from_be_bytes(bytes[9..13].try_into().map_err(|_| TokenError::Invalid)?);
    Ok(PageFacts { subscriber_id, track, variant })
}

impl LinkSigner {
    /// Verifies an answer link of any layout: signature, purpose (`Nudge`,
    /// or `Answer` for the oldest links) and expiry, in that order, as
    /// [`LinkSigner::verify`] does. The subject is the delivery.
    pub fn verify_nudge(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, TokenError> {
        let claims = self.peek(token)?;
        if !matches!(claims.purpose, Purpose::Nudge | Purpose::Answer) {
            return Err(TokenError::Invalid);
        }
        token::unexpired(claims, now)
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::domain::token::LinkGeneration;
    use crate::domain::token::fixtures::{now, signer};

    fn facts() -> PageFacts {
        PageFacts { subscriber_id: 77, track: Track::Patience, variant: variant_fingerprint("pa-03") }
    }

    fn answer(delivery_id: i64, lifetime: Duration) -> Claims {
        let claims = Claims::new(Purpose::Nudge, delivery_id, LinkGeneration::FIRST, now(), lifetime);
        Claims { page: Some(facts()), ..claims }
    }

    #[test]
    fn a_nudge_link_carries_its_page_facts() {
        let s = signer(&["k1"]);
        let token = s.sign(&answer(42, Duration::days(14)));
        assert_eq!(token.len(), 78);
        let claims = s.verify_nudge(&token, now()).unwrap();
        assert_eq!((claims.subject, claims.page), (42, Some(facts())));
    }

    #[test]
    fn answer_links_of_both_earlier_layouts_still_verify() {
        let s = signer(&["k1"]);
        let expires = now() + Duration::days(14);
        let oldest = s.sign_layout1(Purpose::Answer, 42, expires);
        let claims = s.verify_nudge(&oldest, now()).unwrap();
        assert_eq!((claims.subject, claims.page, claims.generation), (42, None, LinkGeneration::FIRST));
        let mut body = vec![Purpose::Nudge as u8];
        body.extend_from_slice(&42_i64.to_be_bytes());
        body.extend_from_slice(&expires.timestamp().to_be_bytes());
        append_facts(&mut body, &facts());
        let with_facts = s.seal(&body);
        assert_eq!(with_facts.len(), 62);
        let claims = s.verify_nudge(&with_facts, now()).unwrap();
        assert_eq!((claims.subject, claims.page, claims.issued_at), (42, Some(facts()), now()));
    }

    #[test]
    fn forged_tampered_expired_or_other_purpose_nudge_links_fail() {
        let s = signer(&["k1"]);
        let token = s.sign(&answer(42, Duration::days(14)));
        assert_eq!(signer(&["other"]).verify_nudge(&token, now()), Err(TokenError::Invalid));
        let mut tampered = token.clone().into_bytes();
        tampered[30] = if tampered[30] == b'A' { b'B' } else { b'A' };
        assert_eq!(s.verify_nudge(&String::from_utf8(tampered).unwrap(), now()), Err(TokenError::Invalid));
        assert_eq!(s.verify_nudge(&token[..77], now()), Err(TokenError::Invalid));
        let expired = s.sign(&answer(42, Duration::zero()));
        assert_eq!(s.verify_nudge(&expired, now()), Err(TokenError::Expired));
        let unsubscribe = Claims::new(Purpose::Unsubscribe, 42, LinkGeneration::FIRST, now(), Duration::days(14));
        assert_eq!(s.verify_nudge(&s.sign(&unsubscribe), now()), Err(TokenError::Invalid));
        // A nudge link is not an unsubscribe (or any other) link either.
        assert_eq!(s.verify(&token, Purpose::Unsubscribe, now()), Err(TokenError::Invalid));
    }

    #[test]
    fn fingerprints_are_stable_and_tell_a_catalog_s_variants_apart() {
        assert_eq!(variant_fingerprint(""), 0x811c_9dc5);
        assert_eq!(variant_fingerprint("a"), 0xe40c_292c);
        let keys = ["ci-01", "ci-02", "ci-03", "ft-01", "ft-02", "pa-01", "pa-10", "re-08"];
        let prints: std::collections::HashSet<u32> = keys.iter().map(|k| variant_fingerprint(k)).collect();
        assert_eq!(prints.len(), keys.len());
    }
}
