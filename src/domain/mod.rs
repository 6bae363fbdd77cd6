//! The domain: parsed values and pure rules. Nothing in here performs I/O or
//! reads a clock; every instant is an argument. Values are parsed once at the
//! boundary (HTTP, CLI, config) and carried as these types afterwards.

mod action;
mod email;
pub mod engine;
mod locale;
pub mod nudge_link;
pub mod promise;
pub mod schedule;
pub mod slots;
mod time_of_day;
mod time_zone;
pub mod token;
mod track;

pub use action::{Action, ActionError};
pub use email::{EmailError, SubscriberEmail};
pub use locale::{Locale, LocaleError};
pub use nudge_link::{NudgeClaims, PageFacts, variant_fingerprint};
pub use slots::Slots;
pub use time_of_day::{TimeOfDay, TimeOfDayError};
pub use time_zone::{TimeZone, TimeZoneError};
pub use token::{LinkSigner, Purpose, TokenError};
pub use track::{Track, TrackError, TrackSet, TrackSetError};

/// What a subscription is doing right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriberStatus {
    /// Subscribed, waiting for the double opt-in.
    Pending,
    Active,
    /// Paused by the subscriber: no nudges until they resume.
    Paused,
    /// Several nudges went unanswered: one "keep going?" mail, then quiet
    /// until the subscriber resumes.
    Resting,
    Unsubscribed,
}

impl SubscriberStatus {
    pub fn key(self) -> &'static str {
        match self {
            SubscriberStatus::Pending => "pending",
            SubscriberStatus::Active => "active",
            SubscriberStatus::Paused => "paused",
            SubscriberStatus::Resting => "resting",
            SubscriberStatus::Unsubscribed => "unsubscribed",
        }
    }

    /// Reads the value the store wrote; the column has a check constraint, so
    /// anything else is a bug worth an error rather than a guess.
    pub fn from_key(key: &str) -> anyhow::Result<Self> {
        Ok(match key {
            "pending" => SubscriberStatus::Pending,
            "active" => SubscriberStatus::Active,
            "paused" => SubscriberStatus::Paused,
            "resting" => SubscriberStatus::Resting,
            "unsubscribed" => SubscriberStatus::Unsubscribed,
            other => anyhow::bail!("unknown subscriber status {other:?} in the database"),
        })
    }
}

/// Why an email exists. Stored in `deliveries.kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryKind {
    /// The double opt-in mail.
    Confirm,
    /// Sent once, when the double opt-in completes.
    Welcome,
    Nudge,
    /// "Shall we keep going?" after several unanswered nudges.
    KeepGoing,
    /// `tend send-test`: a sample nudge to check the transport.
    Test,
    /// "Still realistic?" ahead of a promise's due time.
    PromiseCheck,
    /// "Did it happen?" after a promise's due time.
    PromiseReview,
    /// The optional weekly summary.
    WeeklySummary,
}

impl DeliveryKind {
    pub fn key(self) -> &'static str {
        match self {
            DeliveryKind::Confirm => "confirm",
            DeliveryKind::Welcome => "welcome",
            DeliveryKind::Nudge => "nudge",
            DeliveryKind::KeepGoing => "keep_going",
            DeliveryKind::Test => "test",
            DeliveryKind::PromiseCheck => "promise_check",
            DeliveryKind::PromiseReview => "promise_review",
            DeliveryKind::WeeklySummary => "weekly_summary",
        }
    }

    pub fn from_key(key: &str) -> anyhow::Result<Self> {
        Ok(match key {
            "confirm" => DeliveryKind::Confirm,
            "welcome" => DeliveryKind::Welcome,
            "nudge" => DeliveryKind::Nudge,
            "keep_going" => DeliveryKind::KeepGoing,
            "test" => DeliveryKind::Test,
            "promise_check" => DeliveryKind::PromiseCheck,
            "promise_review" => DeliveryKind::PromiseReview,
            "weekly_summary" => DeliveryKind::WeeklySummary,
            other => anyhow::bail!("unknown delivery kind {other:?} in the database"),
        })
    }
}
