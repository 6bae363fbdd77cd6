//! Link tokens: signed, purpose-bound, expiring references carried in URLs.
//!
//! A token is `base64url(purpose ‖ subject ‖ expires ‖ tag)` where `tag` is
//! the first 16 bytes of HMAC-SHA256 over the first 17 bytes. Binding the
//! purpose into the signed bytes is what stops an answer link from working as
//! an unsubscribe link, and the subject (a delivery or subscriber id) stops a
//! link for one delivery from answering another. There is no state on the
//! server: tokens are verified, never looked up, so a leaked database does not
//! leak working links and a scanner can fetch them at no cost.
//!
//! Keys rotate: the first key signs, every key verifies, and every comparison
//! is constant-time (`Mac::verify_truncated_left`). Nothing here reads a clock;
//! callers pass `now`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

pub(super) const TAG_LEN: usize = 16;
pub(super) const BODY_LEN: usize = 1 + 8 + 8;

/// What a link is allowed to do. The byte values are part of every link ever
/// sent: never renumber them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Confirm = 1,
    Answer = 2,
    Unsubscribe = 3,
    Preferences = 4,
    /// "Keep going" after resting.
    Resume = 5,
    /// Answering a promise mail (one delivery).
    Promise = 6,
    /// Answering a nudge, with what its page shows ([`super::nudge_link`]).
    /// Links minted before it (`Answer`) still work.
    Nudge = 7,
    /// The `Reply-To` address of a nudge or promise mail (one delivery):
    /// a reply there answers it ([`super::inbound_address`]).
    Reply = 8,
    /// The per-delivery envelope sender (VERP): bounces and complaints
    /// about one delivery come back to it.
    Bounce = 9,
}

impl Purpose {
    pub(super) fn from_byte(b: u8) -> Option<Self> {
        Some(match b {
            1 => Purpose::Confirm,
            2 => Purpose::Answer,
            3 => Purpose::Unsubscribe,
            4 => Purpose::Preferences,
            5 => Purpose::Resume,
            6 => Purpose::Promise,
            7 => Purpose::Nudge,
            8 => Purpose::Reply,
            9 => Purpose::Bounce,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Wrong length, bad base64, bad signature or wrong purpose: to the visitor
    /// these are all the same "not valid" so we do not help a forger.
    #[error("this link is not valid")]
    Invalid,
    #[error("this link has expired")]
    Expired,
}

/// The verified content of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claims {
    pub subject: i64,
    pub expires_at: DateTime<Utc>,
}

/// Signs and verifies links with a rotatable list of secrets.
#[derive(Clone)]
pub struct LinkSigner {
    keys: Vec<Hmac<Sha256>>,
}

impl std::fmt::Debug for LinkSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LinkSigner({} keys, redacted)", self.keys.len())
    }
}

impl LinkSigner {
    /// `keys[0]` signs; all of them verify. At least one key is required.
    pub fn new(keys: &[SecretString]) -> anyhow::Result<Self> {
        anyhow::ensure!(!keys.is_empty(), "security.link_keys needs at least one key");
        let keys = keys
            .iter()
            .map(|k| Hmac::<Sha256>::new_from_slice(k.expose_secret().as_bytes()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { keys })
    }

    pub fn sign(&self, purpose: Purpose, subject: i64, expires_at: DateTime<Utc>) -> String {
        self.seal(&body(purpose, subject, expires_at))
    }

    /// Checks signature, purpose and expiry, in that order, so that an expired
    /// forgery still reads as invalid rather than expired.
    pub fn verify(&self, token: &str, purpose: Purpose, now: DateTime<Utc>) -> Result<Claims, TokenError> {
        let body: [u8; BODY_LEN] = self.open(token)?;
        claims_for(&body, purpose, now)
    }

    /// `base64url(body ‖ tag)`, signed with the first key.
    pub(super) fn seal(&self, body: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(self.signed_bytes(body))
    }

    /// `body ‖ tag`, signed with the first key: what every token encodes,
    /// in a URL (base64url) or an address (base32).
    pub(super) fn signed_bytes(&self, body: &[u8]) -> Vec<u8> {
        let mut mac = self.keys[0].clone();
        mac.update(body);
        let mut bytes = body.to_vec();
        bytes.extend_from_slice(&mac.finalize().into_bytes()[..TAG_LEN]);
        bytes
    }

    /// The body of a sealed token of exactly `N` body bytes, if any key signed it.
    pub(super) fn open<const N: usize>(&self, token: &str) -> Result<[u8; N], TokenError> {
        // Reject before decoding so that a huge path segment costs nothing.
        if token.len() != ((N + TAG_LEN) * 4).div_ceil(3) {
            return Err(TokenError::Invalid);
        }
        let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| TokenError::Invalid)?;
        self.verified_body(&bytes)
    }

    /// The body of decoded `body ‖ tag` bytes of exactly `N` body bytes, if
    /// any key signed it.
    pub(super) fn verified_body<const N: usize>(&self, bytes: &[u8]) -> Result<[u8; N], TokenError> {
        if bytes.len() != N + TAG_LEN {
            return Err(TokenError::Invalid);
        }
        let (body, tag) = bytes.split_at(N);
        let signed_by_any_key = self
            .keys
            .iter()
            .map(|key| {
                let mut mac = key.clone();
                mac.update(body);
                mac.verify_truncated_left(tag).is_ok()
            })
            // No short-circuit: every key is tried so timing does not reveal which one matched.
            .fold(false, |acc, ok| acc | ok);
        if !signed_by_any_key {
            return Err(TokenError::Invalid);
        }
        body.try_into().map_err(|_| TokenError::Invalid)
    }
}

/// `purpose ‖ subject ‖ expires`: the body every token starts with.
pub(super) fn body(purpose: Purpose, subject: i64, expires_at: DateTime<Utc>) -> [u8; BODY_LEN] {
    let mut body = [0u8; BODY_LEN];
    body[0] = purpose as u8;
    body[1..9].copy_from_slice(&subject.to_be_bytes());
    body[9..17].copy_from_slice(&expires_at.timestamp().to_be_bytes());
    body
}

/// The claims of a signed body, if it is for `purpose` and has not expired.
pub(super) fn claims_for(body: &[u8; BODY_LEN], purpose: Purpose, now: DateTime<Utc>) -> Result<Claims, TokenError> {
    if Purpose::from_byte(body[0]) != Some(purpose) {
        return Err(TokenError::Invalid);
    }
    let (subject, expires_at) = subject_and_expiry(body)?;
    if expires_at <= now {
        return Err(TokenError::Expired);
    }
    Ok(Claims { subject, expires_at })
}

/// The subject and expiry every token body carries after its purpose byte.
pub(super) fn subject_and_expiry(body: &[u8]) -> Result<(i64, DateTime<Utc>), TokenError> {
    let subject = i64::from_be_bytes(body[1..9].try_into().map_err(|_| TokenError::Invalid)?);
    let expires = i64::from_be_bytes(body[9..17].try_into().map_err(|_| TokenError::Invalid)?);
    let expires_at = DateTime::from_timestamp(expires, 0).ok_or(TokenError::Invalid)?;
    Ok((subject, expires_at))
}

/// What the token tests of this module and its neighbours share.
#[cfg(test)]
pub(super) mod fixtures {
    use chrono::{DateTime, TimeZone, Utc};
    use secrecy::SecretString;

    use super::LinkSigner;

    pub fn signer(key: &str) -> LinkSigner {
        LinkSigner::new(&[SecretString::from(key.to_owned())]).unwrap()
    }

    /// A fixed instant: token tests need no clock.
    pub fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn signer(keys: &[&str]) -> LinkSigner {
        let keys: Vec<SecretString> = keys.iter().map(|k| SecretString::from(k.to_string())).collect();
        LinkSigner::new(&keys).unwrap()
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
    }

    #[test]
    fn a_signed_token_verifies_for_its_purpose_and_subject() {
        let s = signer(&["k1"]);
        let token = s.sign(Purpose::Answer, 42, now() + Duration::days(1));
        let claims = s.verify(&token, Purpose::Answer, now()).unwrap();
        assert_eq!(claims.subject, 42);
        assert_eq!(token.len(), 44);
    }

    #[test]
    fn a_token_for_one_purpose_does_not_work_for_another() {
        let s = signer(&["k1"]);
        let token = s.sign(Purpose::Answer, 42, now() + Duration::days(1));
        assert_eq!(s.verify(&token, Purpose::Unsubscribe, now()), Err(TokenError::Invalid));
        assert_eq!(s.verify(&token, Purpose::Confirm, now()), Err(TokenError::Invalid));
    }

    #[test]
    fn tampering_truncation_and_foreign_keys_are_invalid() {
        let s = signer(&["k1"]);
        let token = s.sign(Purpose::Answer, 42, now() + Duration::days(1));
        let mut tampered = token.clone().into_bytes();
        tampered[5] = if tampered[5] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        assert_eq!(s.verify(&tampered, Purpose::Answer, now()), Err(TokenError::Invalid));
        assert_eq!(s.verify(&token[..40], Purpose::Answer, now()), Err(TokenError::Invalid));
        assert_eq!(s.verify("", Purpose::Answer, now()), Err(TokenError::Invalid));
        assert_eq!(s.verify(&"%".repeat(44), Purpose::Answer, now()), Err(TokenError::Invalid));
        assert_eq!(signer(&["other"]).verify(&token, Purpose::Answer, now()), Err(TokenError::Invalid));
    }

    #[test]
    fn expired_tokens_say_so() {
        let s = signer(&["k1"]);
        let token = s.sign(Purpose::Confirm, 7, now());
        assert_eq!(s.verify(&token, Purpose::Confirm, now()), Err(TokenError::Expired));
    }

    #[test]
    fn rotated_keys_still_verify_old_links_and_new_links_use_the_first_key() {
        let old = signer(&["old"]);
        let rotated = signer(&["new", "old"]);
        let old_token = old.sign(Purpose::Unsubscribe, 9, now() + Duration::days(90));
        assert!(rotated.verify(&old_token, Purpose::Unsubscribe, now()).is_ok());
        let new_token = rotated.sign(Purpose::Unsubscribe, 9, now() + Duration::days(90));
        assert!(signer(&["new"]).verify(&new_token, Purpose::Unsubscribe, now()).is_ok());
        assert!(old.verify(&new_token, Purpose::Unsubscribe, now()).is_err());
    }
}
