//! Link tokens: signed, purpose-bound, expiring, revocable references carried
//! in URLs.
//!
//! Every link minted now has layout 2:
//! `base64url(0x80|purpose ‖ subject ‖ expires ‖ issued ‖ generation ‖ tag)`,
//! where `tag` is the first 16 bytes of HMAC-SHA256 over everything before
//! it (an answer link adds what its page shows, see [`super::nudge_link`]).
//! Binding the purpose into the signed bytes is what stops an answer link
//! from working as an unsubscribe link, and the subject (a delivery or
//! subscriber id) stops a link for one delivery from answering another.
//!
//! The **generation** is the subscriber's link generation when the link was
//! minted. Signing out every link ("someone else may have seen my mail"),
//! unsubscribing, forgetting and a new confirmation bump the subscriber's
//! generation, and a link of an older one is [`TokenError::Revoked`]. The
//! signature says nothing about the current generation: callers compare it
//! with the stored one ([`Claims::current`]), the only state a link needs.
//! The **issue time** tells how old a link is, which decides what its page
//! may show ([`crate::links`]).
//!
//! Layout 1, `base64url(purpose ‖ subject ‖ expires ‖ tag)`, is what links
//! mailed before generations carry. They still verify, as generation 0
//! (every subscriber's first) and issued one [`Purpose::layout1_lifetime`]
//! before they expire: they keep working until the first bump.
//!
//! Keys rotate: the first key signs, every key verifies, and every comparison
//! is constant-time (`Mac::verify_truncated_left`). Nothing here reads a clock;
//! callers pass `now`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use super::nudge_link::{self, PageFacts};

mod purpose;
pub use purpose::Purpose;

pub(super) const TAG_LEN: usize = 16;
/// Set in the first byte of a layout-2 token (and of an address token,
/// [`super::inbound_address`]); layout 1's purposes are 1 to 7.
pub(super) const LAYOUT_2: u8 = 0x80;
/// purpose ‖ subject ‖ expires.
pub(super) const LAYOUT_1_LEN: usize = 1 + 8 + 8;
/// Layout 1 plus issued ‖ generation.
pub(super) const LAYOUT_2_LEN: usize = LAYOUT_1_LEN + 8 + 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Wrong length, bad base64, bad signature or wrong purpose: to the visitor
    /// these are all the same "not valid" so we do not help a forger.
    #[error("this link is not valid")]
    Invalid,
    #[error("this link has expired")]
    Expired,
    /// Genuine, but of an earlier link generation: switched off.
    #[error("this link was switched off")]
    Revoked,
}

/// A subscriber's link generation: every link carries the one it was minted
/// in, and only links of the current one work (unsubscribe links excepted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct LinkGeneration(pub(super) u32);

impl LinkGeneration {
    /// Every subscriber's first, and what layout-1 links carry.
    pub const FIRST: LinkGeneration = LinkGeneration(0);

    /// The stored column (`subscribers.link_generation`, never negative).
    pub fn from_stored(value: i32) -> anyhow::Result<Self> {
        u32::try_from(value).map(Self).map_err(|_| anyhow::anyhow!("a negative link generation {value} is stored"))
    }

    pub fn value(self) -> u32 {
        self.0
    }
}

/// Whose links these are: a subscriber and their current link generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkOwner {
    pub subscriber_id: i64,
    pub generation: LinkGeneration,
}

/// What a token says: signed by tend, read back when the link is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claims {
    pub purpose: Purpose,
    /// A delivery id (answer and promise links) or a subscriber id.
    pub subject: i64,
    pub generation: LinkGeneration,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// What an answer link's page shows; `None` for every other link and
    /// for answer links minted before page facts.
    pub page: Option<PageFacts>,
}

impl Claims {
    /// A link of `purpose` about `subject`, valid from `issued_at` for `lifetime`.
    pub fn new(
        purpose: Purpose,
        subject: i64,
        generation: LinkGeneration,
        issued_at: DateTime<Utc>,
        lifetime: Duration,
    ) -> Self {
        Claims { purpose, subject, generation, issued_at, expires_at: issued_at + lifetime, page: None }
    }

    /// How long ago the link was minted.
    pub fn age(&self, now: DateTime<Utc>) -> Duration {
        now - self.issued_at
    }

    /// How long the link works in all.
    pub fn lifetime(&self) -> Duration {
        self.expires_at - self.issued_at
    }

    /// The generation the subscriber must still be at for this link to
    /// work: its own, if its purpose is revocable; `None` otherwise.
    pub fn required_generation(&self) -> Option<LinkGeneration> {
        self.purpose.is_revocable().then_some(self.generation)
    }

    /// The claims, if the link is of the subscriber's `current` generation
    /// or its purpose is not revocable; [`TokenError::Revoked`] otherwise.
    pub fn current(self, current: LinkGeneration) -> Result<Self, TokenError> {
        if self.required_generation().is_some_and(|required| required != current) {
            return Err(TokenError::Revoked);
        }
        Ok(self)
    }
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

    /// A layout-2 token. An answer link (`Purpose::Nudge`) carries its page
    /// facts; every other purpose carries none.
    pub fn sign(&self, claims: &Claims) -> String {
        let mut body = Vec::with_capacity(nudge_link::LAYOUT_2_LEN);
        body.push(LAYOUT_2 | claims.purpose as u8);
        body.extend_from_slice(&claims.subject.to_be_bytes());
        body.extend_from_slice(&claims.expires_at.timestamp().to_be_bytes());
        body.extend_from_slice(&claims.issued_at.timestamp().to_be_bytes());
        body.extend_from_slice(&claims.generation.0.to_be_bytes());
        if let Some(page) = &claims.page {
            nudge_link::append_facts(&mut body, page);
        }
        self.seal(&body)
    }

    /// A layout-1 token, as versions before link generations minted them.
    /// Only tests mint these: they stand for links already in inboxes.
    pub fn sign_layout1(&self, purpose: Purpose, subject: i64, expires_at: DateTime<Utc>) -> String {
        let mut body = [0u8; LAYOUT_1_LEN];
        body[0] = purpose as u8;
        body[1..9].copy_from_slice(&subject.to_be_bytes());
        body[9..17].copy_from_slice(&expires_at.timestamp().to_be_bytes());
        self.seal(&body)
    }

    /// Checks signature, purpose and expiry, in that order, so that an expired
    /// forgery still reads as invalid rather than expired. The generation is
    /// the caller's to compare ([`Claims::current`]).
    pub fn verify(&self, token: &str, purpose: Purpose, now: DateTime<Utc>) -> Result<Claims, TokenError> {
        let claims = self.peek(token)?;
        if claims.purpose != purpose {
            return Err(TokenError::Invalid);
        }
        unexpired(claims, now)
    }

    /// What a genuine token of any purpose and layout says, expired or not:
    /// for checks that look at every link on a page.
    pub fn peek(&self, token: &str) -> Result<Claims, TokenError> {
        let body = self.open(token)?;
        let layout2 = body[0] & LAYOUT_2 != 0;
        let purpose = Purpose::from_byte(body[0] & !LAYOUT_2).ok_or(TokenError::Invalid)?;
        let subject = be_i64(&body[1..9])?;
        let expires_at = instant(be_i64(&body[9..17])?)?;
        let (issued_at, generation, rest) = match layout2 {
            true if body.len() >= LAYOUT_2_LEN => {
                let issued_at = instant(be_i64(&body[17..25])?)?;
                let generation = u32::from_be_bytes(body[25..29].try_into().map_err(|_| TokenError::Invalid)?);
                (issued_at, LinkGeneration(generation), &body[LAYOUT_2_LEN..])
            }
            true => return Err(TokenError::Invalid),
            false => (expires_at - purpose.layout1_lifetime(), LinkGeneration::FIRST, &body[LAYOUT_1_LEN..]),
        };
        // Page facts come with answer links and nothing else.
        let page = match (purpose, rest.is_empty()) {
            (Purpose::Nudge, false) => Some(nudge_link::read_facts(rest)?),
            (Purpose::Nudge, true) => return Err(TokenError::Invalid),
            (_, true) => None,
            (_, false) => return Err(TokenError::Invalid),
        };
        Ok(Claims { purpose, subject, generation, issued_at, expires_at, page })
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

    /// The body of a sealed token of one of the known lengths, if any key signed it.
    fn open(&self, token: &str) -> Result<Vec<u8>, TokenError> {
        // Reject before decoding so that a huge path segment costs nothing.
        let encoded_len = |body: usize| ((body + TAG_LEN) * 4).div_ceil(3);
        let lengths = [LAYOUT_1_LEN, LAYOUT_2_LEN, nudge_link::LAYOUT_1_LEN, nudge_link::LAYOUT_2_LEN];
        let Some(body_len) = lengths.into_iter().find(|n| encoded_len(*n) == token.len()) else {
            return Err(TokenError::Invalid);
        };
        let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| TokenError::Invalid)?;
        self.verified_body(&bytes, body_len)
    }

    /// The body of decoded `body ‖ tag` bytes of exactly `body_len` body
    /// bytes, if any key signed it.
    pub(super) fn verified_body(&self, bytes: &[u8], body_len: usize) -> Result<Vec<u8>, TokenError> {
        if bytes.len() != body_len + TAG_LEN {
            return Err(TokenError::Invalid);
        }
        let (body, tag) = bytes.split_at(body_len);
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
        Ok(body.to_vec())
    }
}

/// The claims unless they expired by `now`.
pub(super) fn unexpired(claims: Claims, now: DateTime<Utc>) -> Result<Claims, TokenError> {
    if claims.expires_at <= now {
        return Err(TokenError::Expired);
    }
    Ok(claims)
}

pub(super) fn be_i64(bytes: &[u8]) -> Result<i64, TokenError> {
    Ok(i64::from_be_bytes(bytes.try_into().map_err(|_| TokenError::Invalid)?))
}

pub(super) fn instant(seconds: i64) -> Result<DateTime<Utc>, TokenError> {
    DateTime::from_timestamp(seconds, 0).ok_or(TokenError::Invalid)
}

/// What the token tests of this module and its neighbours share.
#[cfg(test)]
pub(super) mod fixtures;

#[cfg(test)]
mod tests;
