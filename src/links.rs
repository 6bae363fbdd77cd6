//! Links in emails: where each URL points, what its token may do, how long
//! it works, and what a page may show for a link of a given age; and the
//! reply and bounce addresses, which carry the same kind of token. Tokens
//! are derived from stored facts (ids, the subscriber's link generation and
//! instants), so the same delivery renders the same links on every attempt.
//!
//! Least privilege, the rules SECURITY.md states: a page never mints a link
//! more powerful or longer-lived than the one that opened it (answer and
//! promise pages offer to *mail* a fresh link instead); promise words, and
//! erasing one's data, need a link at most [`FRESH`] old.

use chrono::{DateTime, Duration, Utc};

use crate::domain::{
    Action, AddressKind, Claims, InboundDomain, LinkGeneration, LinkOwner, LinkSigner, PageFacts, Purpose,
};

/// How long each kind of link keeps working after the mail that carries it.
pub const CONFIRM_TTL: Duration = Duration::days(7);
pub const ANSWER_TTL: Duration = Duration::days(14);
pub const PREFERENCES_TTL: Duration = Duration::days(90);
/// An invitation's subscribe page works as long as a second invitation to
/// the same address would be refused.
pub const INVITATION_TTL: Duration = Duration::days(30);
/// Unsubscribing must keep working long after the mail was read.
pub const UNSUBSCRIBE_TTL: Duration = Duration::days(400);
/// A reply address takes replies as long as the mail's answer links work.
pub const REPLY_TTL: Duration = ANSWER_TTL;
/// A bounce address takes DSNs and complaints for a month: relays give up
/// within days (Postfix after five), and feedback loops report within weeks.
pub const BOUNCE_TTL: Duration = Duration::days(30);
/// A link at most this old may show promise words and erase data; a fresh
/// link (asked for by mail) works for exactly this long.
pub const FRESH: Duration = Duration::hours(24);

/// Whether a verified link is young enough for promise words and erasure.
pub fn is_fresh(claims: &Claims, now: DateTime<Utc>) -> bool {
    claims.age(now) <= FRESH
}

#[derive(Debug, Clone)]
pub struct Links {
    base: String,
    signer: LinkSigner,
}

impl Links {
    /// `base` is the configured public URL; the `Host` header is never used.
    pub fn new(base: &str, signer: LinkSigner) -> Self {
        Self { base: base.trim_end_matches('/').to_owned(), signer }
    }

    pub fn signer(&self) -> &LinkSigner {
        &self.signer
    }

    pub fn home(&self) -> String {
        format!("{}/", self.base)
    }

    /// The form that mails a fresh link to an address on file.
    pub fn fresh_link_form(&self) -> String {
        self.absolute("link")
    }

    pub fn confirm(&self, owner: LinkOwner, issued: DateTime<Utc>) -> String {
        self.url("confirm", Purpose::Confirm, owner, issued, CONFIRM_TTL)
    }

    /// A nudge's answer page; the link carries what the page shows.
    pub fn answer(
        &self,
        delivery_id: i64,
        generation: LinkGeneration,
        slot: DateTime<Utc>,
        page: &PageFacts,
    ) -> String {
        let claims = Claims::new(Purpose::Nudge, delivery_id, generation, slot, ANSWER_TTL);
        format!("{}/n/{}", self.base, self.signer.sign(&Claims { page: Some(*page), ..claims }))
    }

    pub fn answer_with(
        &self,
        delivery_id: i64,
        generation: LinkGeneration,
        slot: DateTime<Utc>,
        page: &PageFacts,
        action: Action,
    ) -> String {
        format!("{}?a={}", self.answer(delivery_id, generation, slot, page), action.key())
    }

    /// A promise mail's answer page; `answer` preselects a button.
    pub fn promise(
        &self,
        delivery_id: i64,
        generation: LinkGeneration,
        slot: DateTime<Utc>,
        answer: Option<&str>,
    ) -> String {
        let claims = Claims::new(Purpose::Promise, delivery_id, generation, slot, ANSWER_TTL);
        let url = format!("{}/p/{}", self.base, self.signer.sign(&claims));
        match answer {
            Some(a) => format!("{url}?a={a}"),
            None => url,
        }
    }

    /// A delivery's reply address (the `Reply-To` of a nudge or promise
    /// mail: a reply there answers it) or bounce address (its envelope
    /// sender, VERP: its bounces and complaints come back there).
    pub fn address(
        &self,
        kind: AddressKind,
        delivery_id: i64,
        generation: LinkGeneration,
        slot: DateTime<Utc>,
        domain: &InboundDomain,
    ) -> String {
        let ttl = match kind {
            AddressKind::Reply => REPLY_TTL,
            AddressKind::Bounce => BOUNCE_TTL,
        };
        self.signer.sign_address(kind, delivery_id, generation, slot + ttl, domain)
    }

    pub fn unsubscribe(&self, owner: LinkOwner, issued: DateTime<Utc>) -> String {
        self.url("unsubscribe", Purpose::Unsubscribe, owner, issued, UNSUBSCRIBE_TTL)
    }

    /// The "keep going" link lives as long as preferences links do.
    pub fn resume(&self, owner: LinkOwner, issued: DateTime<Utc>) -> String {
        self.url("resume", Purpose::Resume, owner, issued, PREFERENCES_TTL)
    }

    pub fn preferences(&self, owner: LinkOwner, issued: DateTime<Utc>) -> String {
        self.url("me", Purpose::Preferences, owner, issued, PREFERENCES_TTL)
    }

    /// A preferences link that is fresh for the whole of its short life.
    pub fn fresh_preferences(&self, owner: LinkOwner, issued: DateTime<Utc>) -> String {
        self.url("me", Purpose::Preferences, owner, issued, FRESH)
    }

    /// An invitation's subscribe page. The subject is the invitation; the
    /// generation is the inviter's, so signing out their links (or leaving)
    /// switches the invitation off too.
    pub fn invitation(&self, invitation_id: i64, inviter: LinkGeneration, issued: DateTime<Utc>) -> String {
        let claims = Claims::new(Purpose::Invitation, invitation_id, inviter, issued, INVITATION_TTL);
        format!("{}/invited/{}", self.base, self.signer.sign(&claims))
    }

    fn url(&self, path: &str, purpose: Purpose, owner: LinkOwner, issued: DateTime<Utc>, ttl: Duration) -> String {
        let claims = Claims::new(purpose, owner.subscriber_id, owner.generation, issued, ttl);
        format!("{}/{path}/{}", self.base, self.signer.sign(&claims))
    }

    /// An absolute URL for a path on this site (forms post back here).
    pub fn absolute(&self, path: &str) -> String {
        format!("{}/{}", self.base, path.trim_start_matches('/'))
    }
}
