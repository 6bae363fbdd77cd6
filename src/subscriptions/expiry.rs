//! Forgetting what was never confirmed: addresses of people who never
//! consented are not kept. Run by the scheduler's pending-TTL job.

use anyhow::Context;
use sqlx::PgPool;

use super::db_now;
use crate::store::{self, requests::Expired};

/// Deletes the pending subscribers (with their confirmation mails) and the
/// requests whose last ask is older than `ttl` on the database clock.
#[tracing::instrument(skip_all)]
pub async fn expire_unconfirmed(pool: &PgPool, ttl: chrono::Duration) -> anyhow::Result<Expired> {
    let mut tx = pool.begin().await.context("failed to start a transaction")?;
    let cutoff = db_now(&mut tx).await? - ttl;
    let expired = store::requests::delete_unconfirmed(&mut tx, cutoff).await?;
    tx.commit().await.context("failed to commit the pending-TTL deletes")?;
    Ok(expired)
}
