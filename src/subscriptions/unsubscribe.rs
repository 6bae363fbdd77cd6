//! Unsubscribing: immediate, nothing queued goes out afterwards, and every
//! link mailed before stops working (the unsubscribe links themselves
//! excepted: stopping mail is always allowed). A partner link ends with it.

use anyhow::Context;
use sqlx::PgPool;

use crate::domain::SubscriberStatus;
use crate::store;

/// Returns false if the subscriber no longer exists. Idempotent.
#[tracing::instrument(skip_all, fields(subscriber_id))]
pub async fn unsubscribe(pool: &PgPool, subscriber_id: i64) -> anyhow::Result<bool> {
    let mut tx = pool.begin().await.context("failed to start a transaction")?;
    let Some(subscriber) = store::subscribers::lock(&mut tx, subscriber_id).await? else {
        return Ok(false);
    };
    if subscriber.status != SubscriberStatus::Unsubscribed {
        store::subscribers::set_status(&mut tx, subscriber_id, SubscriberStatus::Unsubscribed).await?;
        store::tracks::clear_schedule(&mut tx, subscriber_id).await?;
        store::deliveries::cancel_pending(&mut tx, subscriber_id).await?;
        store::links::bump(&mut tx, subscriber_id).await?;
    }
    // Leaving ends a partner link at once; the other side is not told.
    store::partners::unlink(&mut tx, subscriber_id).await?;
    tx.commit().await.context("failed to commit an unsubscribe")?;
    Ok(true)
}
