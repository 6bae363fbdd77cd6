//! apalis with its PostgreSQL storage (apalis-postgres): jobs pushed with
//! the storage's own `send_all` before the worker starts; the worker polls
//! and acknowledges each job. apalis keeps its sqlx migration record in its
//! own schema (`apalis_meta` first on the search path) so that it does not
//! clash with tend's.

use std::sync::Arc;

use apalis::prelude::*;
use apalis_postgres::{PgConnectOptions, PgPool, PostgresStorage};
use futures::SinkExt;
use serde::{Deserialize, Serialize};

use super::{Shared, Started, send_one};
use crate::db::Cluster;

#[derive(Debug, Clone, Deserialize, Serialize)]
struct SendNudge {
    id: i64,
}

async fn send(job: SendNudge, shared: Data<Arc<Shared>>) -> Result<(), BoxDynError> {
    send_one(&shared, job.id).await.map_err(|e| e.to_string().into())
}

pub async fn start(cluster: &Cluster, db: &str, shared: Arc<Shared>, concurrency: usize) -> anyhow::Result<Started> {
    // apalis brings its own sqlx (0.9); tend's queries stay on `shared.pool`.
    sqlx::query("create schema if not exists apalis_meta").execute(&shared.pool).await?;
    let options: PgConnectOptions = cluster.url(db).parse()?;
    let pool = PgPool::connect_with(options.options([("search_path", "apalis_meta,public")])).await?;
    PostgresStorage::setup(&pool).await?;
    let mut storage: PostgresStorage<SendNudge> = PostgresStorage::new(&pool);
    let ids: Vec<i64> = sqlx::query_scalar("select id from deliveries where kind = 'nudge' order by id")
        .fetch_all(&shared.pool)
        .await?;
    // The storage's sink takes encoded arguments (its default codec is JSON).
    let encoded = ids.into_iter().map(|id| serde_json::to_vec(&SendNudge { id }).expect("encodes"));
    let mut tasks = futures::stream::iter(encoded.map(|bytes| Ok(TaskBuilder::new(bytes).build())));
    storage.send_all(&mut tasks).await?;
    let at = sqlx::query_scalar("select clock_timestamp()").fetch_one(&shared.pool).await?;
    let worker =
        WorkerBuilder::new("tend-bench-peer").backend(storage).data(shared).concurrency(concurrency).build(send);
    let task = tokio::spawn(async move {
        if let Err(err) = worker.run().await {
            eprintln!("apalis stopped: {err}");
        }
    });
    Ok(Started { at, task })
}
