//! What each mail needs before it can be written: typed facts, loaded by
//! the store when a delivery is claimed (`store::mail_context`) and turned
//! into words and links by `mail::Composer`, which does no I/O.
//!
//! The body's variant follows the kind's [`Shape`](super::Shape): a plain
//! mail carries its placeholder values, a nudge its track and variant, a
//! promise mail which question it asks, the weekly summary the week's
//! answers, the "could not read your reply" mail the buttons of the mail
//! the reply was about, an invitation who it is from.

use chrono::{DateTime, NaiveDate, Utc};

use super::{
    DayAnswer, DeliveryKind, LinkGeneration, LinkOwner, Locale, PlainMail, PromiseMail, SubscriberEmail, TimeZone,
    Track,
};

/// Everything a delivery's email is composed from.
#[derive(Debug, Clone)]
pub struct MailContext {
    pub delivery: DeliveryRef,
    pub to: Recipient,
    pub body: MailBody,
}

/// The delivery row's own facts: they make the links and the Message-ID the
/// same on every attempt.
#[derive(Debug, Clone)]
pub struct DeliveryRef {
    pub id: i64,
    pub slot: DateTime<Utc>,
    /// The random part of the Message-ID.
    pub message_key: String,
}

/// Who the mail is for.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub subscriber_id: i64,
    pub email: SubscriberEmail,
    pub locale: Locale,
    pub zone: TimeZone,
    /// The generation every link in the mail is minted in.
    pub link_generation: LinkGeneration,
    /// Neutral From name, subject and heading: nothing on a lock screen
    /// says what the mail is about.
    pub discreet: bool,
}

impl Recipient {
    /// Whose links the mail carries.
    pub fn link_owner(&self) -> LinkOwner {
        LinkOwner { subscriber_id: self.subscriber_id, generation: self.link_generation }
    }
}

#[derive(Debug, Clone)]
pub enum MailBody {
    /// The catalog's words for `mail`, each `{name}` filled from `values`.
    Plain {
        mail: PlainMail,
        values: Vec<(&'static str, String)>,
    },
    /// A nudge: the variant's words and the answer buttons.
    Nudge {
        track: Track,
        variant: String,
    },
    /// "Still realistic?" or "did it happen?", with its answer buttons.
    Promise(PromiseMail),
    WeeklySummary(WeekFacts),
    /// An invitation to the inviter's partner (`Recipient` is then the
    /// invited address, with the inviter's id and link generation).
    Invitation {
        invitation_id: i64,
        /// Who it says invited: a name, or "someone you know", and the
        /// inviter's address only if they chose to show it.
        from_name: String,
    },
    /// "Could not read your reply", with the buttons of the mail it was about.
    AnswerAgain(AnswerAgain),
}

/// The mail an unclear reply was about, and so which buttons to offer.
#[derive(Debug, Clone)]
pub struct AnswerAgain {
    /// The nudge or promise mail's delivery: its links, and its reply
    /// address, are the ones it carried itself.
    pub about_id: i64,
    pub about_slot: DateTime<Utc>,
    pub buttons: Buttons,
}

/// Which answer buttons a mail has.
#[derive(Debug, Clone)]
pub enum Buttons {
    /// One per [`super::Action`], for the nudge's track and variant.
    Nudge { track: Track, variant: String },
    /// The promise question's answers.
    Promise(PromiseMail),
}

impl MailBody {
    /// The kind this body is composed as (a sample nudge is a nudge).
    pub fn kind(&self) -> DeliveryKind {
        match self {
            MailBody::Plain { mail, .. } => mail.kind(),
            MailBody::Nudge { .. } => DeliveryKind::Nudge,
            MailBody::Promise(which) => which.kind(),
            MailBody::WeeklySummary(_) => DeliveryKind::WeeklySummary,
            MailBody::Invitation { .. } => DeliveryKind::Invitation,
            MailBody::AnswerAgain(_) => DeliveryKind::ReplyUnclear,
        }
    }
}

/// The week a summary tells about.
#[derive(Debug, Clone)]
pub struct WeekFacts {
    /// The subscriber's answers of the last seven days, on their local dates.
    pub answers: Vec<DayAnswer>,
    /// Nudges sent in the week.
    pub sent: i64,
    /// Promises kept, and renegotiated early, in the week.
    pub kept: i64,
    pub renegotiated: i64,
    /// The summary's own local date (the pictures end there).
    pub today: NaiveDate,
}
