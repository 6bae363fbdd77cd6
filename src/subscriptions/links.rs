//! Links a subscriber controls: switching off every link mailed so far
//! ("someone else may have seen my mail"), and asking for a fresh one by
//! mail. A fresh link is the `fresh_link` mail, queued in the transaction
//! that decides to send it, at most [`FRESH_LINKS_PER_DAY`] a day per
//! address whoever asks, and never to an address that has not confirmed.

use anyhow::Context;
use chrono::Duration;
use sqlx::PgPool;

use super::db_now;
use crate::domain::{DeliveryKind, LinkGeneration, SubscriberEmail};
use crate::store;
use crate::store::deliveries::NewMail;

/// At most this many fresh-link mails per address per day.
pub const FRESH_LINKS_PER_DAY: i64 = 3;

/// Moves the subscriber to a new link generation: every link in every mail
/// sent so far answers 410, except unsubscribe links. `None` if they are gone.
#[tracing::instrument(skip_all, fields(subscriber_id))]
pub async fn sign_out_links(pool: &PgPool, subscriber_id: i64) -> anyhow::Result<Option<LinkGeneration>> {
    let mut tx = pool.begin().await.context("failed to start a transaction")?;
    if store::subscribers::lock(&mut tx, subscriber_id).await?.is_none() {
        return Ok(None);
    }
    let generation = store::links::bump(&mut tx, subscriber_id).await?;
    // Someone else may be reading this person's mail: a partner link ends too.
    store::partners::unlink(&mut tx, subscriber_id).await?;
    tx.commit().await.context("failed to commit a sign-out")?;
    Ok(Some(generation))
}

/// What asking for a fresh link came to. Pages say the same for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FreshLink {
    Queued,
    /// Enough fresh links for this address today: nothing sent.
    Limited,
    /// No such subscriber, or one who never confirmed: nothing sent.
    NotSent,
}

/// Queues a fresh-link mail for a subscriber, within the daily limit.
#[tracing::instrument(skip_all, fields(subscriber_id))]
pub async fn request_fresh_link(pool: &PgPool, subscriber_id: i64) -> anyhow::Result<FreshLink> {
    let mut tx = pool.begin().await.context("failed to start a transaction")?;
    let Some(subscriber) = store::subscribers::lock(&mut tx, subscriber_id).await? else {
        return Ok(FreshLink::NotSent);
    };
    if !DeliveryKind::FreshLink.wanted_by(subscriber.status) {
        return Ok(FreshLink::NotSent);
    }
    let since = db_now(&mut tx).await? - Duration::days(1);
    if store::deliveries::queued_since(&mut tx, subscriber_id, DeliveryKind::FreshLink, since).await?
        >= FRESH_LINKS_PER_DAY
    {
        return Ok(FreshLink::Limited);
    }
    store::deliveries::queue_mail(&mut tx, NewMail::now(subscriber_id, DeliveryKind::FreshLink)).await?;
    tx.commit().await.context("failed to commit a fresh link")?;
    Ok(FreshLink::Queued)
}

/// The same for whoever has this address, if anyone.
#[tracing::instrument(skip_all)]
pub async fn request_fresh_link_for(pool: &PgPool, email: &SubscriberEmail) -> anyhow::Result<FreshLink> {
    match store::subscribers::find_by_email(pool, email).await? {
        Some(subscriber) => request_fresh_link(pool, subscriber.id).await,
        None => Ok(FreshLink::NotSent),
    }
}
