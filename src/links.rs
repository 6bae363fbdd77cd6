//! Links in emails: where each URL points, what its token may do, and how long
//! it works. Tokens are derived from stored facts (ids and instants), so the
//! same delivery renders the same links on every attempt.

use chrono::{DateTime, Duration, Utc};

use crate::domain::{Action, LinkSigner, PageFacts, Purpose};

/// How long each kind of link keeps working after the mail that carries it.
pub const CONFIRM_TTL: Duration = Duration::days(7);
pub const ANSWER_TTL: Duration = Duration::days(14);
pub const PREFERENCES_TTL: Duration = Duration::days(90);
/// Unsubscribing must keep working long after the mail was read.
pub const UNSUBSCRIBE_TTL: Duration = Duration::days(400);

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
