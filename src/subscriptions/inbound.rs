//! The state changes mail coming back to tend causes, besides answers
//! (which go through [`super::Answers`] and the promise flows, exactly as
//! the buttons do): asking once more after an unclear reply, and
//! suppressing an address a DSN says is dead. A complaint is
//! [`super::unsubscribe`].

use anyhow::Context;
use sqlx::PgPool;

use crate::domain::{DeliveryKind, SubscriberStatus};
use crate::store;
use crate::store::deliveries::{About, NewMail};

/// The code stored with an address suppressed by a DSN (`suppressed_addresses.smtp_code`).
const DSN_CODE: i16 = 550;

/// Queues one "which one fits?" mail with the buttons of delivery
/// `about`, in one transaction, unless the subscription is not active or
/// such a mail was queued for the subscriber within the last day. The
/// subscriber's row is locked first, so two unclear replies at once queue
/// at most one. Returns whether it queued.
#[tracing::instrument(skip_all, fields(subscriber_id, about))]
pub async fn ask_again(pool: &PgPool, subscriber_id: i64, about: i64) -> anyhow::Result<bool> {
    let mut tx = pool.begin().await.context("failed to start a transaction")?;
    let Some(subscriber) = store::subscribers::lock(&mut tx, subscriber_id).await? else {
        return Ok(false);
    };
    if subscriber.status != SubscriberStatus::Active
        || store::inbound::asked_again_within_a_day(&mut tx, subscriber_id).await?
    {
        return Ok(false);
    }
    let mail = NewMail { about: About::Delivery(about), ..NewMail::now(subscriber_id, DeliveryKind::ReplyUnclear) };
    let queued = store::deliveries::queue_mail(&mut tx, mail).await?;
    tx.commit().await.context("failed to commit a reply_unclear mail")?;
    Ok(queued.is_some())
}

/// A DSN said delivery `delivery_id` failed for good (`status`, such as
/// `5.1.1`): its address gets nothing more, and its queued mail is
/// cancelled, in one transaction, as when the relay answers 5.1.x at RCPT.
/// Returns false if the delivery is gone.
#[tracing::instrument(skip_all, fields(delivery_id))]
pub async fn suppress_bounced(pool: &PgPool, delivery_id: i64, status: &str) -> anyhow::Result<bool> {
    let mut tx = pool.begin().await.context("failed to start a transaction")?;
    let Some(delivery) = store::inbound::delivery(&mut *tx, delivery_id).await? else {
        return Ok(false);
    };
    let reason = format!("a delivery status notification reported {status}");
    store::deliveries::suppress_address(&mut tx, delivery.email.as_str(), DSN_CODE, &reason).await?;
    store::deliveries::cancel_pending(&mut tx, delivery.subscriber_id).await?;
    tx.commit().await.context("failed to commit a suppression")?;
    Ok(true)
}
