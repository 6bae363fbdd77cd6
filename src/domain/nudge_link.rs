//! The answer link's token. Besides the nudge (delivery) it answers, it
//! carries what the nudge's page shows: the subscriber, the track and a
//! fingerprint of the catalog variant. So `GET /n/{token}` renders from the
//! signed link and the catalog alone, without PostgreSQL: mail scanners
//! that fetch every link in every mail (and people opening a nudge) cost
//! the database nothing, and the page keeps working while it is down. What
//! the database knows (an earlier answer, an erased subscriber) is told by
//! the POST, which always reads it.
//!
//! Layout: `base64url(7 ‖ delivery ‖ expires ‖ subscriber ‖ track ‖ variant ‖ tag)`,
//! 62 characters, signed like every other token ([`super::token`]). Answer
//! links minted before it (purpose `Answer`, 44 characters) still verify;
//! their claims carry no page facts and their page reads the database.

use chrono::{DateTime, Utc};

use super::token::{BODY_LEN, subject_and_expiry};
use super::{LinkSigner, Purpose, TokenError, Track};

const NUDGE_BODY_LEN: usize = BODY_LEN + 8 + 1 + 4;

/// What an answer page shows, as the link carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageFacts {
    pub subscriber_id: i64,
    pub track: Track,
    /// [`variant_fingerprint`] of the variant the mail showed.
    pub variant: u32,
}

/// A verified answer link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NudgeClaims {
    pub delivery_id: i64,
    pub expires_at: DateTime<Utc>,
    /// `None` for links minted before page facts existed.
    pub page: Option<PageFacts>,
}

/// A stable 32-bit FNV-1a hash of a variant key: short enough for a link,
/// and a catalog edit that drops the variant only sends the page to the
/// database.
pub fn variant_fingerprint(variant: &str) -> u32 {
    variant.bytes().fold(0x811c_9dc5_u32, |hash, byte| (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193))
}

impl LinkSigner {
    pub fn sign_nudge(&self, delivery_id: i64, facts: &PageFacts, expires_at: DateTime<Utc>) -> String {
        let mut body = [0u8; NUDGE_BODY_LEN];
        body[0] = Purpose::Nudge as u8;
        body[1..9].copy_from_slice(&delivery_id.to_be_bytes());
        body[9..17].copy_from_slice(&expires_at.timestamp().to_be_bytes());
        body[17..25].copy_from_slice(&facts.subscriber_id.to_be_bytes());
        body[25] = facts.track.code();
        body[26..30].copy_from_slice(&facts.variant.to_be_bytes());
        self.seal(&body)
    }

    /// Verifies an answer link of either generation: signature, purpose and
    /// expiry, in that order, as [`LinkSigner::verify`] does.
    pub fn verify_nudge(&self, token: &str, now: DateTime<Utc>) -> Result<NudgeClaims, TokenError> {
        let Ok(body) = self.open::<NUDGE_BODY_LEN>(token) else {
            let claims = self.verify(token, Purpose::Answer, now)?;
            return Ok(NudgeClaims { delivery_id: claims.subject, expires_at: claims.expires_at, page: None });
        };
        if Purpose::from_byte(body[0]) != Some(Purpose::Nudge) {
            return Err(TokenError::Invalid);
        }
        let (delivery_id, expires_at) = subject_and_expiry(&body)?;
        let subscriber_id = i64::from_be_bytes(body[17..25].try_into().map_err(|_| TokenError::Invalid)?);
        let track = Track::from_code(body[25]).ok_or(TokenError::Invalid)?;
        let variant = u32::from_be_bytes(body[26..30].try_into().map_err(|_| TokenError::Invalid)?);
        if expires_at <= now {
            return Err(TokenError::Expired);
        }
        Ok(NudgeClaims { delivery_id, expires_at, page: Some(PageFacts { subscriber_id, track, variant }) })
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::domain::token::fixtures::{now, signer};

    fn facts() -> PageFacts {
        PageFacts { subscriber_id: 77, track: Track::Patience, variant: variant_fingerprint("pa-03") }
    }

    #[test]
    fn a_nudge_link_carries_its_page_facts() {
        let s = signer("k1");
        let token = s.sign_nudge(42, &facts(), now() + Duration::days(14));
        assert_eq!(token.len(), 62);
        let claims = s.verify_nudge(&token, now()).unwrap();
        assert_eq!((claims.delivery_id, claims.page), (42, Some(facts())));
    }

    #[test]
    fn answer_links_minted_before_page_facts_still_verify_without_them() {
        let s = signer("k1");
        let old = s.sign(Purpose::Answer, 42, now() + Duration::days(14));
        let claims = s.verify_nudge(&old, now()).unwrap();
        assert_eq!((claims.delivery_id, claims.page), (42, None));
    }

    #[test]
    fn forged_tampered_expired_or_other_purpose_nudge_links_fail() {
        let s = signer("k1");
        let token = s.sign_nudge(42, &facts(), now() + Duration::days(14));
        assert_eq!(signer("other").verify_nudge(&token, now()), Err(TokenError::Invalid));
        let mut tampered = token.clone().into_bytes();
        tampered[30] = if tampered[30] == b'A' { b'B' } else { b'A' };
        assert_eq!(s.verify_nudge(&String::from_utf8(tampered).unwrap(), now()), Err(TokenError::Invalid));
        assert_eq!(s.verify_nudge(&token[..61], now()), Err(TokenError::Invalid));
        let expired = s.sign_nudge(42, &facts(), now());
        assert_eq!(s.verify_nudge(&expired, now()), Err(TokenError::Expired));
        let unsubscribe = s.sign(Purpose::Unsubscribe, 42, now() + Duration::days(14));
        assert_eq!(s.verify_nudge(&unsubscribe, now()), Err(TokenError::Invalid));
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
