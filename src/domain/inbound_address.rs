//! Reply and bounce addresses: a signed token in the local part of an
//! address at the inbound domain, so that mail coming back names the
//! delivery it is about, and nobody can make up one that does.
//!
//! - `r-TOKEN@DOMAIN` is a nudge or promise mail's `Reply-To`: a reply there
//!   answers that delivery (purpose [`Purpose::Reply`]).
//! - `b-TOKEN@DOMAIN` is every mail's envelope sender (VERP): bounces (DSNs)
//!   and complaints about that delivery come back there
//!   ([`Purpose::Bounce`]).
//!
//! The token is signed like a link's ([`super::token`], layout 2): purpose,
//! delivery, expiry and the subscriber's link generation, then the first 16
//! bytes of its HMAC. It leaves out the issue time, which a link carries for
//! its page (an address has none) and which would make the local part 73
//! characters, past the 64 RFC 5321 allows. It is written in lowercase
//! base32 (RFC 5155's alphabet) instead of base64url: local parts are
//! case-sensitive by the letter of RFC 5321, but mail systems do not all
//! keep their case, and a token that changed case would no longer verify.
//! Decoding ignores case. 37 bytes make 60 characters, so a local part is 62.
//!
//! The generation works as a link's does ([`super::Claims::current`]): after
//! "sign out my links", unsubscribing or forgetting, a reply address of an
//! earlier generation is [`AddressError::Revoked`]. A bounce address is not
//! revocable, like an unsubscribe link ([`Purpose::is_revocable`]).
//!
//! [`LinkSigner::sign_address`] and [`LinkSigner::verify_address`] are the
//! one place these tokens are minted and checked; expiry comes from
//! [`crate::links`], like every link's.

use chrono::{DateTime, Utc};
use data_encoding::BASE32_DNSSEC;

use super::token::{self, LAYOUT_2, TAG_LEN};
use super::{LinkGeneration, LinkSigner, Purpose};

/// The longest local part RFC 5321 allows.
const MAX_LOCAL_PART: usize = 64;
/// purpose ‖ delivery ‖ expires ‖ generation.
const BODY_LEN: usize = 1 + 8 + 8 + 4;

/// The domain replies and bounces are addressed to (`inbound.domain`):
/// lowercase, letters, digits, dots and hyphens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundDomain(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a domain name such as reply.example.org")]
pub struct InboundDomainError(String);

impl InboundDomain {
    pub fn parse(input: &str) -> Result<Self, InboundDomainError> {
        let domain = input.trim().trim_end_matches('.').to_ascii_lowercase();
        let label_ok = |label: &str| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        };
        match !domain.is_empty() && domain.len() <= 253 && domain.split('.').all(label_ok) {
            true => Ok(Self(domain)),
            false => Err(InboundDomainError(input.to_owned())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Which of the two addresses of a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressKind {
    /// `r-…`: the `Reply-To` of nudge and promise mails.
    Reply,
    /// `b-…`: the envelope sender of every mail.
    Bounce,
}

impl AddressKind {
    fn prefix(self) -> &'static str {
        match self {
            AddressKind::Reply => "r-",
            AddressKind::Bounce => "b-",
        }
    }

    fn purpose(self) -> Purpose {
        match self {
            AddressKind::Reply => Purpose::Reply,
            AddressKind::Bounce => Purpose::Bounce,
        }
    }
}

/// A verified reply or bounce address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressClaims {
    pub kind: AddressKind,
    pub delivery_id: i64,
    pub generation: LinkGeneration,
    pub expires_at: DateTime<Utc>,
}

impl AddressClaims {
    /// Whether [`AddressClaims::current`] needs the subscriber's generation.
    pub fn is_revocable(&self) -> bool {
        self.kind.purpose().is_revocable()
    }

    /// The claims, if the address is of the subscriber's `current`
    /// generation or of a kind that is not revocable.
    pub fn current(self, current: LinkGeneration) -> Result<Self, AddressError> {
        if self.is_revocable() && self.generation != current {
            return Err(AddressError::Revoked);
        }
        Ok(self)
    }
}

/// Why an address is refused (all of them are a 550 at RCPT).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// Another domain, or a local part without `r-` or `b-`.
    #[error("no such address here")]
    NotOurs,
    /// A token that does not decode, was not signed by tend, or has
    /// another purpose.
    #[error("no such address here")]
    Invalid,
    #[error("this address has expired")]
    Expired,
    /// Genuine, but of an earlier link generation: switched off.
    #[error("this address was switched off")]
    Revoked,
}

impl LinkSigner {
    /// `r-TOKEN@DOMAIN` or `b-TOKEN@DOMAIN` for one delivery of a
    /// subscriber whose link generation is `generation`.
    pub fn sign_address(
        &self,
        kind: AddressKind,
        delivery_id: i64,
        generation: LinkGeneration,
        expires_at: DateTime<Utc>,
        domain: &InboundDomain,
    ) -> String {
        let mut body = Vec::with_capacity(BODY_LEN);
        body.push(LAYOUT_2 | kind.purpose() as u8);
        body.extend_from_slice(&delivery_id.to_be_bytes());
        body.extend_from_slice(&expires_at.timestamp().to_be_bytes());
        body.extend_from_slice(&generation.0.to_be_bytes());
        format!("{}{}@{}", kind.prefix(), BASE32_DNSSEC.encode(&self.signed_bytes(&body)), domain.as_str())
    }

    /// Reads an envelope address (angle brackets already gone): domain,
    /// prefix, then signature, purpose and expiry, as [`LinkSigner::verify`]
    /// checks a link. The generation is the caller's to compare
    /// ([`AddressClaims::current`]). Never panics, whatever the input.
    pub fn verify_address(
        &self,
        address: &str,
        domain: &InboundDomain,
        now: DateTime<Utc>,
    ) -> Result<AddressClaims, AddressError> {
        let (kind, encoded) = split_address(address, domain)?;
        let expected = BASE32_DNSSEC.encode_len(BODY_LEN + TAG_LEN);
        // Reject before decoding, so that a long local part costs nothing.
        if encoded.len() != expected {
            return Err(AddressError::Invalid);
        }
        let bytes = BASE32_DNSSEC.decode(encoded.as_bytes()).map_err(|_| AddressError::Invalid)?;
        let body = self.verified_body(&bytes, BODY_LEN).map_err(|_| AddressError::Invalid)?;
        if body[0] != LAYOUT_2 | kind.purpose() as u8 {
            return Err(AddressError::Invalid);
        }
        let delivery_id = token::be_i64(&body[1..9]).map_err(|_| AddressError::Invalid)?;
        let expires_at = token::be_i64(&body[9..17]).and_then(token::instant).map_err(|_| AddressError::Invalid)?;
        let generation = u32::from_be_bytes(body[17..21].try_into().map_err(|_| AddressError::Invalid)?);
        if expires_at <= now {
            return Err(AddressError::Expired);
        }
        Ok(AddressClaims { kind, delivery_id, generation: LinkGeneration(generation), expires_at })
    }
}

/// The address's kind and the token in its local part, if the address is
/// at `domain` and has one of the two prefixes.
fn split_address<'a>(address: &'a str, domain: &InboundDomain) -> Result<(AddressKind, &'a str), AddressError> {
    let (local, at) = address.rsplit_once('@').ok_or(AddressError::NotOurs)?;
    if !at.trim_end_matches('.').eq_ignore_ascii_case(domain.as_str()) || local.len() > MAX_LOCAL_PART {
        return Err(AddressError::NotOurs);
    }
    [AddressKind::Reply, AddressKind::Bounce]
        .into_iter()
        .find_map(|kind| {
            let prefix = kind.prefix();
            let head = local.get(..prefix.len())?;
            head.eq_ignore_ascii_case(prefix).then(|| (kind, &local[prefix.len()..]))
        })
        .ok_or(AddressError::NotOurs)
}

#[cfg(test)]
mod tests {
    use chrono::Duration;
    use proptest::prelude::*;

    use super::*;
    use crate::domain::token::fixtures::{now, signer};
    use crate::domain::{Claims, TokenError};

    fn domain() -> InboundDomain {
        InboundDomain::parse("Reply.Example.org").unwrap()
    }

    const G3: LinkGeneration = LinkGeneration(3);

    fn address(s: &LinkSigner, kind: AddressKind, expires_at: DateTime<Utc>) -> String {
        s.sign_address(kind, 42, G3, expires_at, &domain())
    }

    #[test]
    fn an_address_verifies_for_its_kind_delivery_and_generation_in_any_case() {
        let s = signer(&["k1"]);
        let address = address(&s, AddressKind::Reply, now() + Duration::days(14));
        assert!(address.starts_with("r-") && address.ends_with("@reply.example.org"), "{address}");
        assert_eq!(address.split('@').next().unwrap().len(), 62);
        let claims = s.verify_address(&address, &domain(), now()).unwrap();
        assert_eq!((claims.kind, claims.delivery_id, claims.generation), (AddressKind::Reply, 42, G3));
        let shouted = address.to_ascii_uppercase();
        assert_eq!(s.verify_address(&shouted, &domain(), now()).unwrap().delivery_id, 42);
    }

    #[test]
    fn a_reply_address_of_an_earlier_generation_is_revoked_and_a_bounce_address_is_not() {
        let s = signer(&["k1"]);
        let reply = s.verify_address(&address(&s, AddressKind::Reply, now() + Duration::days(14)), &domain(), now());
        let reply = reply.unwrap();
        assert_eq!(reply.current(G3), Ok(reply));
        assert_eq!(reply.current(LinkGeneration(4)), Err(AddressError::Revoked));
        let bounce = s.verify_address(&address(&s, AddressKind::Bounce, now() + Duration::days(30)), &domain(), now());
        let bounce = bounce.unwrap();
        assert!(!bounce.is_revocable());
        assert_eq!(bounce.current(LinkGeneration(4)), Ok(bounce));
    }

    #[test]
    fn a_reply_token_is_not_a_bounce_token_nor_a_link() {
        let s = signer(&["k1"]);
        let reply = address(&s, AddressKind::Reply, now() + Duration::days(14));
        let as_bounce = reply.replacen("r-", "b-", 1);
        assert_eq!(s.verify_address(&as_bounce, &domain(), now()), Err(AddressError::Invalid));
        let link = s.sign(&Claims::new(Purpose::Reply, 42, G3, now(), Duration::days(14)));
        assert_eq!(s.verify(&link, Purpose::Answer, now()), Err(TokenError::Invalid));
    }

    #[test]
    fn forged_foreign_expired_and_other_domain_addresses_are_refused() {
        let s = signer(&["k1"]);
        let address = address(&s, AddressKind::Bounce, now() + Duration::days(14));
        assert_eq!(signer(&["other"]).verify_address(&address, &domain(), now()), Err(AddressError::Invalid));
        let mut tampered = address.clone().into_bytes();
        tampered[10] = if tampered[10] == b'a' { b'b' } else { b'a' };
        let tampered = String::from_utf8(tampered).unwrap();
        assert_eq!(s.verify_address(&tampered, &domain(), now()), Err(AddressError::Invalid));
        let elsewhere = address.replace("reply.example.org", "example.org");
        assert_eq!(s.verify_address(&elsewhere, &domain(), now()), Err(AddressError::NotOurs));
        assert_eq!(s.verify_address("postmaster@reply.example.org", &domain(), now()), Err(AddressError::NotOurs));
        assert_eq!(s.verify_address("r-abc@reply.example.org", &domain(), now()), Err(AddressError::Invalid));
        let expired = s.sign_address(AddressKind::Bounce, 42, G3, now(), &domain());
        assert_eq!(s.verify_address(&expired, &domain(), now()), Err(AddressError::Expired));
    }

    #[test]
    fn inbound_domains_are_plain_host_names() {
        assert_eq!(InboundDomain::parse("Reply.Example.org.").unwrap().as_str(), "reply.example.org");
        for bad in ["", "exa mple.org", "-a.org", "a..org", "a@b.org", "ünï.org"] {
            assert!(InboundDomain::parse(bad).is_err(), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn any_address_is_verified_or_refused_without_panicking(address in "\\PC{0,120}") {
            let _ = signer(&["k1"]).verify_address(&address, &domain(), now());
        }

        #[test]
        fn any_local_part_with_a_prefix_is_verified_or_refused(local in "[rRbB]-[a-zA-Z0-9=_-]{0,70}") {
            let address = format!("{local}@reply.example.org");
            let _ = signer(&["k1"]).verify_address(&address, &domain(), now());
        }
    }
}
