//! Resealing: moving every promise text to the first key of
//! `security.promise_keys` and to the bound format (associated data), one
//! batch per transaction, so that `tend keys reseal` can be killed at any
//! moment and run again: a batch is written whole or not at all, and a text
//! already bound under the first key is never selected again, so nothing is
//! sealed twice. A text that does not open is left as it is and reported.

use anyhow::Context;
use sqlx::PgPool;

use crate::sealing::Sealer;
use crate::store;

/// What one batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResealBatch {
    /// Texts moved to the first key, bound to their rows.
    pub resealed: u64,
    /// Promises whose text did not open (left untouched).
    pub unreadable: Vec<i64>,
    /// The highest promise id the batch looked at; `None` when there was nothing left.
    pub last_id: Option<i64>,
}

/// Reseals up to `limit` promises after `after` (by id) in one transaction.
#[tracing::instrument(skip_all, fields(after, limit))]
pub async fn reseal_batch(pool: &PgPool, sealer: &Sealer, after: i64, limit: i64) -> anyhow::Result<ResealBatch> {
    let mut tx = pool.begin().await.context("failed to start a transaction")?;
    let rows = store::promises::lock_to_reseal(&mut tx, sealer.sealing_key_id(), after, limit).await?;
    let mut batch = ResealBatch { last_id: rows.last().map(|p| p.id), ..ResealBatch::default() };
    let mut resealed = Vec::with_capacity(rows.len());
    for promise in &rows {
        match sealer.open(&promise.sealed, promise.binding()) {
            Ok(text) => resealed.push((promise.id, sealer.seal(&text, promise.binding()))),
            Err(_) => batch.unreadable.push(promise.id),
        }
    }
    batch.resealed = store::promises::store_resealed(&mut tx, &resealed).await?;
    tx.commit().await.context("failed to commit a batch of resealed promises")?;
    Ok(batch)
}
