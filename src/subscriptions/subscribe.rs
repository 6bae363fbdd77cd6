//! Subscribing: double opt-in, idempotent, and silent about who is subscribed.
//!
//! A returning address (pending, or unsubscribed) that gets a new
//! confirmation mail, or is activated by an operator, starts a new link
//! generation: nothing mailed to it before works afterwards. Discreet mail
//! is sticky here: a subscribe request can switch it on, never off (only the
//! subscriber's preferences can), so nobody can make a discreet person's
//! next confirmation mail say what it is about by typing their address.

use anyhow::Context;
use chrono::Duration;
use sqlx::PgPool;

use super::{CONFIRMATIONS_PER_DAY, activate, db_now};
use crate::domain::Scheduling;
use crate::domain::{DeliveryKind, SubscriberEmail, SubscriberStatus, TrackSet};
use crate::store::deliveries::NewMail;
use crate::store::{self, subscribers::Preferences};

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
    /// Too many confirmation mails for this address today: nothing sent.
    RateLimited {
        subscriber_id: i64,
    },
}

#[tracing::instrument(skip_all, fields(preconfirmed = request.preconfirmed))]
pub async fn subscribe(
    pool: &PgPool,
    request: SubscribeRequest,
    scheduling: Scheduling,
) -> anyhow::Result<SubscribeOutcome> {
    let mut tx = pool.begin().await.context("failed to start a transaction")?;
    let (subscriber, created) =
        store::subscribers::insert_or_lock(&mut tx, &request.email, &request.preferences).await?;
    let id = subscriber.id;
    if !created
        && matches!(subscriber.status, SubscriberStatus::Active | SubscriberStatus::Paused | SubscriberStatus::Resting)
    {
        return Ok(SubscribeOutcome::AlreadySubscribed { subscriber_id: id });
    }
    // New, still pending, or returning after unsubscribing: take the latest choices.
    let preferences = Preferences {
        discreet: request.preferences.discreet || (!created && subscriber.discreet),
        ..request.preferences.clone()
    };
    store::subscribers::update_preferences(&mut tx, id, &preferences).await?;
    store::tracks::choose(&mut tx, id, &request.tracks).await?;
    if let Some(invitation) = request.invitation {
        super::partners::note_accepted(&mut tx, invitation, id, &request.email).await?;
    }
    let outcome = if request.preconfirmed {
        let subscriber = store::subscribers::get(&mut *tx, id).await?.context("subscriber vanished")?;
        activate(&mut tx, &subscriber, scheduling).await?;
        if !created {
            store::links::bump(&mut tx, id).await?;
        }
        SubscribeOutcome::Activated { subscriber_id: id }
    } else {
        if subscriber.status != SubscriberStatus::Pending {
            store::subscribers::set_status(&mut tx, id, SubscriberStatus::Pending).await?;
        }
        let since = db_now(&mut tx).await? - Duration::days(1);
        if store::deliveries::queued_since(&mut tx, id, DeliveryKind::Confirm, since).await? >= CONFIRMATIONS_PER_DAY {
            // Keep the preference update but send nothing more today.
            SubscribeOutcome::RateLimited { subscriber_id: id }
        } else {
            if !created {
                store::links::bump(&mut tx, id).await?;
            }
            store::deliveries::queue_mail(&mut tx, NewMail::now(id, DeliveryKind::Confirm)).await?;
            SubscribeOutcome::ConfirmationQueued { subscriber_id: id }
        }
    };
    tx.commit().await.context("failed to commit a subscription")?;
    Ok(outcome)
}
