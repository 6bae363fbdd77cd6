//! `DeliveryKind`: why an email exists, one type from the database row to
//! the template.
//!
//! The column `deliveries.kind` is the PostgreSQL enum `delivery_kind`, read
//! and written as this type by sqlx, so a kind is parsed once, where the row
//! is read, and compared as an enum everywhere after. Everything that differs
//! between kinds and is a rule rather than I/O is decided here, by
//! exhaustive `match`es: adding a variant makes the compiler list each rule
//! to decide for it (see ARCHITECTURE.md, "Adding a mail kind").

use super::SubscriberStatus;

/// Why an email exists. Stored in `deliveries.kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, sqlx::Type, serde::Serialize)]
#[sqlx(type_name = "delivery_kind", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum DeliveryKind {
    /// The double opt-in mail.
    Confirm,
    /// Sent once, when the double opt-in completes.
    Welcome,
    Nudge,
    /// "Shall we keep going?" after several unanswered nudges.
    KeepGoing,
    /// A sample nudge (rows from `tend send-test` of earlier versions).
    Test,
    /// "Still realistic?" ahead of a promise's due time.
    PromiseCheck,
    /// "Did it happen?" after a promise's due time.
    PromiseReview,
    /// The optional weekly summary.
    WeeklySummary,
    /// "Send me a fresh link": one short-lived link to the preferences page.
    FreshLink,
    /// "tend could not read your reply": sent at most once a day, with the
    /// buttons of the mail the reply was about.
    ReplyUnclear,
    /// One invitation to a subscriber's partner, sent to the partner's
    /// address (the row's subscriber is the one who invited).
    Invitation,
    /// "You both showed up this week", to each side of a partner link.
    SharedSignal,
}

/// Where a kind's words come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Words {
    /// A nudge variant of the delivery's track, inside the catalog's nudge frame.
    NudgeVariant,
    /// The kind's own catalog table (`[<locale>.mail.<key>]`).
    Mail,
}

/// What a mail is made of, which decides what the store loads for it and
/// how the composer lays it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Catalog words with placeholders and one button that opens a page.
    Plain(PlainMail),
    /// A nudge variant with one button per answer (`Action::ALL`).
    Nudge,
    /// Catalog words with one button per answer to the promise question.
    Promise(PromiseMail),
    /// Catalog words, the week's numbers and the progress pictures.
    WeeklySummary,
    /// Catalog words and the answer buttons of another delivery (the nudge
    /// or promise mail an unclear reply was about).
    AnswerAgain,
    /// Catalog words naming who invited, and one button to the invitation's
    /// subscribe page; none of the inviter's own links.
    Invitation,
}

/// The mails that are catalog words and one button.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlainMail {
    Confirm,
    Welcome,
    KeepGoing,
    FreshLink,
    SharedSignal,
}

impl PlainMail {
    pub fn kind(self) -> DeliveryKind {
        match self {
            PlainMail::Confirm => DeliveryKind::Confirm,
            PlainMail::Welcome => DeliveryKind::Welcome,
            PlainMail::KeepGoing => DeliveryKind::KeepGoing,
            PlainMail::FreshLink => DeliveryKind::FreshLink,
            PlainMail::SharedSignal => DeliveryKind::SharedSignal,
        }
    }

    /// The page its one button opens.
    pub fn page(self) -> Page {
        match self {
            PlainMail::Confirm => Page::Confirm,
            PlainMail::Welcome | PlainMail::SharedSignal => Page::Preferences,
            PlainMail::KeepGoing => Page::Resume,
            PlainMail::FreshLink => Page::FreshPreferences,
        }
    }
}

/// A page a mail's one button can open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Confirm,
    Preferences,
    /// The preferences page through a link that works for a day only, so
    /// that it may show promise words and erase data.
    FreshPreferences,
    Resume,
}

/// The two mails a promise causes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromiseMail {
    /// "Still realistic?"
    Check,
    /// "Did it happen?"
    Review,
}

impl PromiseMail {
    pub fn kind(self) -> DeliveryKind {
        match self {
            PromiseMail::Check => DeliveryKind::PromiseCheck,
            PromiseMail::Review => DeliveryKind::PromiseReview,
        }
    }
}

impl DeliveryKind {
    pub const ALL: [DeliveryKind; 12] = [
        DeliveryKind::Confirm,
        DeliveryKind::Welcome,
        DeliveryKind::Nudge,
        DeliveryKind::KeepGoing,
        DeliveryKind::Test,
        DeliveryKind::PromiseCheck,
        DeliveryKind::PromiseReview,
        DeliveryKind::WeeklySummary,
        DeliveryKind::FreshLink,
        DeliveryKind::ReplyUnclear,
        DeliveryKind::Invitation,
        DeliveryKind::SharedSignal,
    ];

    /// The name in the database enum and in the catalog (`[en.mail.<key>]`).
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
            DeliveryKind::FreshLink => "fresh_link",
            DeliveryKind::ReplyUnclear => "reply_unclear",
            DeliveryKind::Invitation => "invitation",
            DeliveryKind::SharedSignal => "shared_signal",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == key)
    }

    /// The kinds whose words are a catalog table of their own.
    pub fn with_mail_words() -> impl Iterator<Item = DeliveryKind> {
        Self::ALL.into_iter().filter(|k| k.words() == Words::Mail)
    }

    pub fn shape(self) -> Shape {
        match self {
            DeliveryKind::Confirm => Shape::Plain(PlainMail::Confirm),
            DeliveryKind::Welcome => Shape::Plain(PlainMail::Welcome),
            DeliveryKind::KeepGoing => Shape::Plain(PlainMail::KeepGoing),
            DeliveryKind::FreshLink => Shape::Plain(PlainMail::FreshLink),
            DeliveryKind::Nudge | DeliveryKind::Test => Shape::Nudge,
            DeliveryKind::PromiseCheck => Shape::Promise(PromiseMail::Check),
            DeliveryKind::PromiseReview => Shape::Promise(PromiseMail::Review),
            DeliveryKind::WeeklySummary => Shape::WeeklySummary,
            DeliveryKind::ReplyUnclear => Shape::AnswerAgain,
            DeliveryKind::SharedSignal => Shape::Plain(PlainMail::SharedSignal),
            DeliveryKind::Invitation => Shape::Invitation,
        }
    }

    pub fn words(self) -> Words {
        match self.shape() {
            Shape::Nudge => Words::NudgeVariant,
            Shape::Plain(_) | Shape::Promise(_) | Shape::WeeklySummary | Shape::AnswerAgain | Shape::Invitation => {
                Words::Mail
            }
        }
    }

    /// The placeholders its catalog texts may use, filled in when the mail
    /// is composed. Nudge variants use none.
    pub fn placeholders(self) -> &'static [&'static str] {
        match self {
            DeliveryKind::Confirm
            | DeliveryKind::KeepGoing
            | DeliveryKind::Nudge
            | DeliveryKind::Test
            | DeliveryKind::PromiseCheck
            | DeliveryKind::PromiseReview
            | DeliveryKind::FreshLink
            | DeliveryKind::ReplyUnclear
            | DeliveryKind::SharedSignal => &[],
            DeliveryKind::Welcome => &["time", "timezone"],
            DeliveryKind::Invitation => &["from_name"],
            DeliveryKind::WeeklySummary => &["sent", "done", "partly", "not_yet", "unanswered"],
        }
    }

    /// Whether a subscriber in `status` still wants this mail when it is
    /// about to go out; if not, the delivery is cancelled (a confirmation for
    /// someone already active, a nudge for someone who paused).
    pub fn wanted_by(self, status: SubscriberStatus) -> bool {
        use SubscriberStatus as S;
        match self {
            DeliveryKind::Confirm => status == S::Pending,
            DeliveryKind::Welcome => matches!(status, S::Active | S::Paused),
            DeliveryKind::Nudge
            | DeliveryKind::PromiseCheck
            | DeliveryKind::PromiseReview
            | DeliveryKind::WeeklySummary
            | DeliveryKind::ReplyUnclear
            | DeliveryKind::SharedSignal => status == S::Active,
            // The inviter's status: an invitation asked for by someone who
            // has left since is not sent.
            DeliveryKind::Invitation => matches!(status, S::Active | S::Paused | S::Resting),
            DeliveryKind::KeepGoing => status == S::Resting,
            DeliveryKind::Test => true,
            // Anyone but the not yet confirmed may manage, or erase, their data.
            DeliveryKind::FreshLink => status != S::Pending,
        }
    }

    /// Whether a retry that would arrive long after the slot waits for the
    /// same time on a later day instead (`schedule.stale_after`): nudges are
    /// about a day, everything else is simply late.
    pub fn waits_for_its_hour(self) -> bool {
        match self {
            DeliveryKind::Nudge => true,
            DeliveryKind::Confirm
            | DeliveryKind::Welcome
            | DeliveryKind::KeepGoing
            | DeliveryKind::Test
            | DeliveryKind::PromiseCheck
            | DeliveryKind::PromiseReview
            | DeliveryKind::WeeklySummary
            | DeliveryKind::FreshLink
            | DeliveryKind::ReplyUnclear
            | DeliveryKind::Invitation
            | DeliveryKind::SharedSignal => false,
        }
    }

    /// The kind a mail of this kind is composed as: `test` rows (sample
    /// nudges) are composed as nudges, every other kind as itself.
    pub fn composed_as(self) -> DeliveryKind {
        match self {
            DeliveryKind::Test => DeliveryKind::Nudge,
            DeliveryKind::Confirm
            | DeliveryKind::Welcome
            | DeliveryKind::Nudge
            | DeliveryKind::KeepGoing
            | DeliveryKind::PromiseCheck
            | DeliveryKind::PromiseReview
            | DeliveryKind::WeeklySummary
            | DeliveryKind::FreshLink
            | DeliveryKind::ReplyUnclear
            | DeliveryKind::Invitation
            | DeliveryKind::SharedSignal => self,
        }
    }

    /// The promise mail this kind is, if it is one.
    pub fn promise_mail(self) -> Option<PromiseMail> {
        match self.shape() {
            Shape::Promise(mail) => Some(mail),
            Shape::Plain(_) | Shape::Nudge | Shape::WeeklySummary | Shape::AnswerAgain | Shape::Invitation => None,
        }
    }
}

impl std::fmt::Display for DeliveryKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_are_what_json_and_the_database_say() {
        for kind in DeliveryKind::ALL {
            assert_eq!(DeliveryKind::parse(kind.key()), Some(kind));
            assert_eq!(serde_json::to_string(&kind).unwrap(), format!("\"{}\"", kind.key()));
        }
        assert_eq!(DeliveryKind::parse("nudges"), None);
    }

    #[test]
    fn every_shape_names_its_own_kind_back() {
        for kind in DeliveryKind::ALL {
            match kind.shape() {
                Shape::Plain(mail) => assert_eq!(mail.kind(), kind),
                Shape::Promise(mail) => assert_eq!(mail.kind(), kind),
                Shape::Nudge => assert_eq!(kind.words(), Words::NudgeVariant),
                Shape::WeeklySummary => assert_eq!(kind, DeliveryKind::WeeklySummary),
                Shape::AnswerAgain => assert_eq!(kind, DeliveryKind::ReplyUnclear),
                Shape::Invitation => assert_eq!(kind, DeliveryKind::Invitation),
            }
        }
    }
}
