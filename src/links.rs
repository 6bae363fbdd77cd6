//! Links in emails: where each URL points, what its token may do, and how long
//! it works; and the reply and bounce addresses, which carry the same kind
//! of token. Tokens are derived from stored facts (ids and instants), so the
//! same delivery renders the same links on every attempt.

use chrono::{DateTime, Duration, Utc};

use crate::domain::{Action, AddressKind, InboundDomain, LinkSigner, PageFacts, Purpose};

/// How long each kind of link keeps working after the mail that carries it.
pub const CONFIRM_TTL: Duration = Duration::days(7);
pub const ANSWER_TTL: Duration = Duration::days(14);
pub const PREFERENCES_TTL: Duration = Duration::days(90);
/// Unsubscribing must keep working long after the mail was read.
pub const UNSUBSCRIBE_TTL: Duration = Duration::days(400);
/// A reply address takes replies as long as the mail's answer links work.
pub const REPLY_TTL: Duration = ANSWER_TTL;
/// A bounce address takes DSNs and complaints for a month: relays give up
/// within days (Postfix after five), and feedback loops report within weeks.
pub const BOUNCE_TTL: Duration = Duration::days(30);

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

    pub fn confirm(&self, subscriber_id: i64, issued: DateTime<Utc>) -> String {
        self.url("confirm", Purpose::Confirm, subscriber_id, issued + CONFIRM_TTL)
    }

    /// A nudge's answer page; the link carries what the page shows.
    pub fn answer(&self, delivery_id: i64, slot: DateTime<Utc>, page: &PageFacts) -> String {
        format!("{}/n/{}", self.base, self.signer.sign_nudge(delivery_id, page, slot + ANSWER_TTL))
    }

    pub fn answer_with(&self, delivery_id: i64, slot: DateTime<Utc>, page: &PageFacts, action: Action) -> String {
        format!("{}?a={}", self.answer(delivery_id, slot, page), action.key())
    }

    /// A promise mail's answer page; `answer` preselects a button.
    pub fn promise(&self, delivery_id: i64, slot: DateTime<Utc>, answer: Option<&str>) -> String {
        let url = self.url("p", Purpose::Promise, delivery_id, slot + ANSWER_TTL);
        match answer {
            Some(a) => format!("{url}?a={a}"),
            None => url,
        }
    }

    /// The `Reply-To` of a nudge or promise mail: a reply there answers it.
    pub fn reply_address(&self, delivery_id: i64, slot: DateTime<Utc>, domain: &InboundDomain) -> String {
        self.signer.sign_address(AddressKind::Reply, delivery_id, slot + REPLY_TTL, domain)
    }

    /// A delivery's envelope sender (VERP): its bounces and complaints come back there.
    pub fn bounce_address(&self, delivery_id: i64, slot: DateTime<Utc>, domain: &InboundDomain) -> String {
        self.signer.sign_address(AddressKind::Bounce, delivery_id, slot + BOUNCE_TTL, domain)
    }

    pub fn unsubscribe(&self, subscriber_id: i64, issued: DateTime<Utc>) -> String {
        self.url("unsubscribe", Purpose::Unsubscribe, subscriber_id, issued + UNSUBSCRIBE_TTL)
    }

    /// The "keep going" link lives as long as preferences links do.
    pub fn resume(&self, subscriber_id: i64, issued: DateTime<Utc>) -> String {
        self.url("resume", Purpose::Resume, subscriber_id, issued + PREFERENCES_TTL)
    }

    pub fn preferences(&self, subscriber_id: i64, issued: DateTime<Utc>) -> String {
        self.url("me", Purpose::Preferences, subscriber_id, issued + PREFERENCES_TTL)
    }

    fn url(&self, path: &str, purpose: Purpose, subject: i64, expires_at: DateTime<Utc>) -> String {
        format!("{}/{path}/{}", self.base, self.signer.sign(purpose, subject, expires_at))
    }
}

impl Links {
    /// An absolute URL for a path on this site (forms post back here).
    pub fn absolute(&self, path: &str) -> String {
        format!("{}/{}", self.base, path.trim_start_matches('/'))
    }
}
