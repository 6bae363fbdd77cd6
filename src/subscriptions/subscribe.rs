//! Subscribing: double opt-in, idempotent, and silent about who is subscribed.
//!
//! Confirmation mails are capped per inbox (`domain::MailboxKey`), whatever
//! alias asks: three a day, or one a week once someone at that inbox
//! unsubscribed (`domain::ConfirmationCap`). A request over the cap changes and sends nothing. A
//! request for an address that already has a row (pending, or
//! unsubscribed) is kept aside and applied only when its confirmation is
//! pressed ([`super::confirm`]), so subscribing someone else's address
//! never changes their settings.
//!
//! A returning address (pending, or unsubscribed) that gets a new
//! confirmation mail, or is activated by an operator, starts a new link
//! generation: nothing mailed to it before works afterwards. Discreet mail
//! is sticky: a subscribe request can switch it on, never off (only the
//! subscriber's preferences can), so nobody can make a discreet person's
//! next confirmation mail say what it is about by typing their address.
//! Switching it on is the one setting that applies before the confirmation,
//! so that the confirmation mail itself is already discreet.

use anyhow::Context;
use sqlx::PgConnection;
use sqlx::PgPool;

use super::{activate, db_now};
use crate::domain::{
    ConfirmationCap, DeliveryKind, MailboxKey, Scheduling, SubscriberEmail, SubscriberStatus, TrackSet,
};
use crate::store::deliveries::NewMail;
use crate::store::requests::{self, Requested};
use crate::store::{self, subscribers::Preferences, subscribers::Subscriber};

#[derive(Debug, Clone)]
pub struct SubscribeRequest {
    pub email: SubscriberEmail,
    pub preferences: Preferences,
    pub tracks: TrackSet,
    /// Skip the double opt-in (operators only, `--preconfirmed`).
    pub preconfirmed: bool,
    /// The invitation whose link led here (verified by the caller): its
    /// inviter and this subscriber are linked when this address confirms.
    pub invitation: Option<i64>,
}

/// What happened. The web page says the same thing for every outcome so that
/// nobody can learn whether an address is subscribed; the CLI is more direct.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscribeOutcome {
    ConfirmationQueued {
        subscriber_id: i64,
    },
    Activated {
        subscriber_id: i64,
    },
    /// Already active, paused or resting: nothing changed, nothing sent.
    AlreadySubscribed {
        subscriber_id: i64,
    },
    /// The inbox had its confirmation mails for now: nothing written, nothing sent.
    RateLimited,
}

#[tracing::instrument(skip_all, fields(preconfirmed = request.preconfirmed))]
pub async fn subscribe(
    pool: &PgPool,
    request: SubscribeRequest,
    scheduling: Scheduling,
) -> anyhow::Result<SubscribeOutcome> {
    let mut tx = pool.begin().await.context("failed to start a transaction")?;
    let mailbox = MailboxKey::of(&request.email);
    // One subscribe per inbox at a time: the cap below counts, then queues.
    requests::lock_mailbox(&mut tx, &mailbox).await?;
    let existing = store::subscribers::lock_by_email(&mut tx, &request.email).await?;
    let outcome = match existing {
        Some(subscriber) if is_subscribed(subscriber.status) => {
            return Ok(SubscribeOutcome::AlreadySubscribed { subscriber_id: subscriber.id });
        }
        existing if request.preconfirmed => activate_now(&mut tx, existing, &request, &mailbox, scheduling).await?,
        existing => match ask_to_confirm(&mut tx, existing, &request, &mailbox).await? {
            Some(outcome) => outcome,
            None => return Ok(SubscribeOutcome::RateLimited),
        },
    };
    tx.commit().await.context("failed to commit a subscription")?;
    Ok(outcome)
}

fn is_subscribed(status: SubscriberStatus) -> bool {
    match status {
        SubscriberStatus::Active | SubscriberStatus::Paused | SubscriberStatus::Resting => true,
        SubscriberStatus::Pending | SubscriberStatus::Unsubscribed => false,
    }
}

/// Queues a confirmation mail if the inbox's cap allows one; `None` if not.
/// A new address gets its row with what it asked for; an existing row keeps
/// its settings, and the request waits for the confirmation.
async fn ask_to_confirm(
    conn: &mut PgConnection,
    existing: Option<Subscriber>,
    request: &SubscribeRequest,
    mailbox: &MailboxKey,
) -> anyhow::Result<Option<SubscribeOutcome>> {
    let cap = ConfirmationCap::at(db_now(conn).await?, requests::unsubscribed_at(conn, mailbox).await?);
    if requests::confirmations_since(conn, mailbox, cap.since).await? >= cap.mails {
        return Ok(None);
    }
    let id = match existing {
        None => {
            let subscriber =
                store::subscribers::insert_pending(conn, &request.email, mailbox, &request.preferences).await?;
            store::tracks::choose(conn, subscriber.id, &request.tracks).await?;
            subscriber.id
        }
        Some(subscriber) => {
            let requested = Requested { preferences: request.preferences.clone(), tracks: request.tracks.clone() };
            requests::put(conn, subscriber.id, &requested).await?;
            if request.preferences.discreet && !subscriber.discreet {
                store::subscribers::switch_discreet_on(conn, subscriber.id).await?;
            }
            store::links::bump(conn, subscriber.id).await?;
            subscriber.id
        }
    };
    if let Some(invitation) = request.invitation {
        super::partners::note_accepted(conn, invitation, id, &request.email).await?;
    }
    store::deliveries::queue_mail(conn, NewMail::now(id, DeliveryKind::Confirm)).await?;
    Ok(Some(SubscribeOutcome::ConfirmationQueued { subscriber_id: id }))
}

/// An operator's `--preconfirmed`: the settings apply at once and the
/// subscription is active, with no confirmation mail.
async fn activate_now(
    conn: &mut PgConnection,
    existing: Option<Subscriber>,
    request: &SubscribeRequest,
    mailbox: &MailboxKey,
    scheduling: Scheduling,
) -> anyhow::Result<SubscribeOutcome> {
    let id = match existing {
        None => store::subscribers::insert_pending(conn, &request.email, mailbox, &request.preferences).await?.id,
        Some(subscriber) => {
            requests::take(conn, subscriber.id).await?;
            let preferences = Preferences {
                discreet: request.preferences.discreet || subscriber.discreet,
                ..request.preferences.clone()
            };
            store::subscribers::update_preferences(conn, subscriber.id, &preferences).await?;
            store::links::bump(conn, subscriber.id).await?;
            subscriber.id
        }
    };
    store::tracks::choose(conn, id, &request.tracks).await?;
    let subscriber = store::subscribers::get(&mut *conn, id).await?.context("subscriber vanished")?;
    activate(conn, &subscriber, scheduling).await?;
    Ok(SubscribeOutcome::Activated { subscriber_id: id })
}
