//! Confirming: the second half of the double opt-in. The welcome mail is
//! queued in the same transaction, so it exists exactly when the
//! subscription became active; a subscriber who came through a partner's
//! invitation is linked with that partner in it too.

use anyhow::Context;
use sqlx::PgPool;

use super::activate;
use crate::domain::Scheduling;
use crate::domain::{DeliveryKind, SubscriberStatus};
use crate::store;
use crate::store::deliveries::NewMail;

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
            activate(&mut tx, &subscriber, scheduling).await?;
            store::deliveries::queue_mail(&mut tx, NewMail::now(subscriber.id, DeliveryKind::Welcome)).await?;
            super::partners::link_on_confirm(&mut tx, subscriber.id).await?;
            ConfirmOutcome::Confirmed
        }
        SubscriberStatus::Active | SubscriberStatus::Paused | SubscriberStatus::Resting => {
            ConfirmOutcome::AlreadyConfirmed
        }
        SubscriberStatus::Unsubscribed => ConfirmOutcome::NoLongerPending,
    };
    tx.commit().await.context("failed to commit a confirmation")?;
    Ok(outcome)
}
