//! The domain: parsed values and pure rules. Nothing in here performs I/O or
//! reads a clock; every instant is an argument. Values are parsed once at the
//! boundary (HTTP, CLI, config) and carried as these types afterwards.

mod action;
pub mod bounce;
mod delivery;
mod email;
pub mod engine;
pub mod inbound_address;
mod locale;
pub mod mail;
pub mod nudge_link;
mod on_off;
pub mod partner;
pub mod promise;
pub mod reply;
pub mod schedule;
pub mod slots;
mod time_of_day;
mod time_zone;
pub mod token;
mod track;

pub use action::{Action, ActionError, DayAnswer};
pub use delivery::{DeliveryKind, Page, PlainMail, PromiseMail, Shape, Words};
pub use email::{EmailError, REDACTED_ADDRESS, SubscriberEmail, redact_addresses};
pub use inbound_address::{AddressClaims, AddressError, AddressKind, InboundDomain};
pub use locale::{Locale, LocaleError};
pub use nudge_link::{PageFacts, variant_fingerprint};
pub use on_off::{OnOffError, parse_on_off};
pub use partner::{FromName, FromNameError};
pub use slots::{Scheduling, Slots};
pub use time_of_day::{TimeOfDay, TimeOfDayError};
pub use time_zone::{TimeZone, TimeZoneError};
pub use token::{Claims, LinkGeneration, LinkOwner, LinkSigner, Purpose, TokenError};
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
