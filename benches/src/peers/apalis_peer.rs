//! apalis with its PostgreSQL storage (apalis-postgres 1.0), at the settings
//! its documentation offers for throughput: `Config::batch_size` (jobs
//! fetched per round trip; "larger batches can improve throughput by
//! reducing the number of queue operations") set to [`FETCH`], the worker's
//! `concurrency`, and `with_pubsub()` (LISTEN/NOTIFY: its insert trigger
//! wakes the worker, as in its README). Measured on 2026-11-30 (N = 5,000,
//! one run each, a busy machine): 774/s with pubsub, 156/s with a 20 ms
//! poll interval instead, 140/s with neither (jobs pushed before the worker
//! started). Acknowledgements are always batched in apalis 1.0:
//! its persistence layer drains every completion queued since the last
//! flush into one `handle_results` statement, so this one row is also its
//! per-batch-completion row. apalis keeps its sqlx migration record in its
//! own schema (`apalis_meta` first on the search path) so that it does not
//! clash with tend's.
//!
//! The worker is registered and polling before the jobs are pushed (one
//! transaction, the storage's own `send_all`), so its start-up is outside
//! the timed window.

use std::sync::Arc;

use apalis::prelude::*;
use apalis_postgres::{PgConnectOptions, PgPool, PostgresStorage};
use futures::SinkExt;
use serde::{Deserialize, Serialize};

use super::{Running, Shared, send_one};
use crate::db::Cluster;

/// Jobs fetched per round trip.
pub const FETCH: usize = 100;

/// The settings the results table names.
pub fn settings() -> String {
    format!("fetch batch {FETCH}, LISTEN/NOTIFY, acks batched")
}

/// The job: one delivery to send.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct SendNudge {
    id: i64,
}

async fn send(job: SendNudge, shared: Data<Arc<Shared>>) -> Result<(), BoxDynError> {
    send_one(&shared, job.id).await.map_err(|e| e.to_string().into())
}

/// The storage jobs are pushed into.
pub type Storage = PostgresStorage<SendNudge>;

/// Sets up the storage, starts a worker on it; returns once it is running.
pub async fn start(cluster: &Cluster, db: &str, shared: Arc<Shared>, concurrency: usize) -> anyhow::Result<Running> {
    // apalis brings its own sqlx (0.9); tend's queries stay on `shared.pool`.
    sqlx::query("create schema if not exists apalis_meta").execute(&shared.pool).await?;
    let options: PgConnectOptions = cluster.url(db).parse()?;
    let pool = PgPool::connect_with(options.options([("search_path", "apalis_meta,public")])).await?;
    PostgresStorage::setup(&pool).await?;
    let storage: Storage = PostgresStorage::new(&pool);
    let config = storage.config().clone().batch_size(FETCH);
    let storage = storage.with_config(config);
    let backend = storage.clone().with_pubsub();
    let worker =
        WorkerBuilder::new("tend-bench-peer").backend(backend).data(shared).concurrency(concurrency).build(send);
    let task = tokio::spawn(async move {
        if let Err(err) = worker.run().await {
            eprintln!("apalis stopped: {err}");
        }
    });
    Ok(Running { task, apalis: Some(storage) })
}

/// Pushes one job per delivery in one transaction.
pub async fn enqueue(storage: &mut Storage, ids: Vec<i64>) -> anyhow::Result<()> {
    // The storage's sink takes encoded arguments (its default codec is JSON).
    let encoded = ids.into_iter().map(|id| serde_json::to_vec(&SendNudge { id }).expect("encodes"));
    let mut tasks = futures::stream::iter(encoded.map(|bytes| Ok(TaskBuilder::new(bytes).build())));
    storage.send_all(&mut tasks).await?;
    Ok(())
}
