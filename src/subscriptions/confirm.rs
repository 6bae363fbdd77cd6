//! Confirming: the second half of the double opt-in. What the request asked
//! for (zone, time, tracks, discreet on) applies now, not when it was asked,
//! and the welcome mail is queued in the same transaction, so it exists
//! exactly when the subscription became active; a subscriber who came
//! through a partner's invitation is linked with that partner in it too. An
//! unsubscribed address comes back only through a request made after it
//! unsubscribed.

use anyhow::Context;
use sqlx::{PgConnection, PgPool};

use super::activate;
use crate::domain::Scheduling;
use crate::domain::{DeliveryKind, SubscriberStatus};
use crate::store;
use crate::store::deliveries::NewMail;
use crate::store::requests::Requested;
use crate::store::subscribers::{Preferences, Subscriber};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmOutcome {
    Confirmed,
    /// Pressing Confirm twice is harmless.
    AlreadyConfirmed,
    /// The subscriber unsubscribed (or was erased) since the link was sent.
    NoLongerPending,
}

#[tracing::instrument(skip_all, fields(subscriber_id))]
pub async fn confirm(pool: &PgPool, subscriber_id: i64, scheduling: Scheduling) -> anyhow::Result<ConfirmOutcome> {
    let mut tx = pool.begin().await.context("failed to start a transaction")?;
    let Some(subscriber) = store::subscribers::lock(&mut tx, subscriber_id).await? else {
        return Ok(ConfirmOutcome::NoLongerPending);
    };
    let outcome = match subscriber.status {
        SubscriberStatus::Pending => {
            let requested = store::requests::take(&mut tx, subscriber.id).await?;
            start(&mut tx, subscriber, requested, scheduling).await?
        }
        SubscriberStatus::Active | SubscriberStatus::Paused | SubscriberStatus::Resting => {
            ConfirmOutcome::AlreadyConfirmed
        }
        SubscriberStatus::Unsubscribed => match store::requests::take(&mut tx, subscriber.id).await? {
            Some(requested) => start(&mut tx, subscriber, Some(requested), scheduling).await?,
            None => ConfirmOutcome::NoLongerPending,
        },
    };
    tx.commit().await.context("failed to commit a confirmation")?;
    Ok(outcome)
}

/// Applies the request (if one is waiting), activates and welcomes.
async fn start(
    conn: &mut PgConnection,
    subscriber: Subscriber,
    requested: Option<Requested>,
    scheduling: Scheduling,
) -> anyhow::Result<ConfirmOutcome> {
    let subscriber = match requested {
        None => subscriber,
        Some(requested) => {
            // Discreet is sticky: a request switches it on, never off.
            let preferences = Preferences {
                discreet: requested.preferences.discreet || subscriber.discreet,
                ..requested.preferences
            };
            store::subscribers::update_preferences(conn, subscriber.id, &preferences).await?;
            store::tracks::choose(conn, subscriber.id, &requested.tracks).await?;
            store::subscribers::get(&mut *conn, subscriber.id).await?.context("subscriber vanished")?
        }
    };
    activate(conn, &subscriber, scheduling).await?;
    store::deliveries::queue_mail(conn, NewMail::now(subscriber.id, DeliveryKind::Welcome)).await?;
    super::partners::link_on_confirm(conn, subscriber.id).await?;
    Ok(ConfirmOutcome::Confirmed)
}
