//! What a token is for: the purpose byte signed into every link and
//! address, how long links of each purpose lived before generations, and
//! which purposes a new generation switches off.

use chrono::Duration;

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
    /// Answering a nudge, with what its page shows ([`crate::domain::nudge_link`]).
    /// Links minted before it (`Answer`) still work.
    Nudge = 7,
    /// The `Reply-To` address of a nudge or promise mail (one delivery):
    /// a reply there answers it ([`crate::domain::inbound_address`]).
    Reply = 8,
    /// The per-delivery envelope sender (VERP): bounces and complaints
    /// about one delivery come back to it.
    Bounce = 9,
    /// An invitation's subscribe page (the subject is the invitation).
    Invitation = 10,
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
            10 => Purpose::Invitation,
            _ => return None,
        })
    }

    /// How long a layout-1 link of this purpose lived: what versions before
    /// link generations minted, fixed forever. Its issue time is its expiry
    /// minus this.
    pub fn layout1_lifetime(self) -> Duration {
        match self {
            Purpose::Confirm => Duration::days(7),
            Purpose::Answer | Purpose::Promise | Purpose::Nudge => Duration::days(14),
            Purpose::Preferences | Purpose::Resume => Duration::days(90),
            Purpose::Unsubscribe => Duration::days(400),
            // Addresses were never minted in layout 1; these are their
            // lifetimes ([`crate::links`]), so that the match stays whole.
            Purpose::Reply => Duration::days(14),
            Purpose::Bounce | Purpose::Invitation => Duration::days(30),
        }
    }

    /// Whether a link of this purpose must be of the subscriber's current
    /// generation. Unsubscribing is the exception: RFC 8058 and the large
    /// mailbox providers require a `List-Unsubscribe` link to keep working,
    /// and stopping mail is always allowed. A bounce address is the same
    /// case: a hard bounce or a complaint only ever stops mail, and
    /// feedback loops report weeks late.
    pub fn is_revocable(self) -> bool {
        match self {
            Purpose::Unsubscribe | Purpose::Bounce => false,
            Purpose::Confirm
            | Purpose::Answer
            | Purpose::Preferences
            | Purpose::Resume
            | Purpose::Promise
            | Purpose::Nudge
            | Purpose::Reply
            | Purpose::Invitation => true,
        }
    }
}
