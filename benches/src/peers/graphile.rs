//! graphile_worker: one `send_nudge` job per delivery, added in one
//! transaction with its `add_job` SQL function; LISTEN/NOTIFY wakes the
//! worker, whose local queue fetches jobs in batches of 100.

use std::sync::Arc;

use graphile_worker::{IntoTaskHandlerResult, LocalQueueConfig, TaskHandler, WorkerContext, WorkerOptions};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use super::{Shared, Started, send_one};

#[derive(Deserialize, Serialize)]
struct SendNudge {
    id: i64,
}

impl TaskHandler for SendNudge {
    const IDENTIFIER: &'static str = "send_nudge";

    async fn run(self, ctx: WorkerContext) -> impl IntoTaskHandlerResult {
        let shared = ctx.get_ext::<Arc<Shared>>().expect("the shared state is registered");
        send_one(shared, self.id).await.map_err(|e| format!("{e:#}"))
    }
}

pub async fn start(url: &str, pool: &PgPool, shared: Arc<Shared>, concurrency: usize) -> anyhow::Result<Started> {
    let worker = WorkerOptions::default()
        .concurrency(concurrency)
        // The documented setting for many small jobs (docs: guides/local-queue):
        // without it each slot fetched one job per wake-up, about 16 jobs/s here.
        .local_queue(LocalQueueConfig::default().with_size(100))
        .schema("graphile_worker")
        .define_job::<SendNudge>()
        // graphile_worker brings its own sqlx (0.9), so its own pool.
        .database_url(url)
        .max_pg_conn(concurrency as u32 + 4)
        .add_extension(shared)
        .init()
        .await?;
    let task = tokio::spawn(async move {
        if let Err(err) = worker.run().await {
            eprintln!("graphile_worker stopped: {err}");
        }
    });
    sqlx::query("select graphile_worker.add_job('send_nudge', json_build_object('id', id)) from deliveries where kind = 'nudge'")
        .execute(pool)
        .await?;
    let at = sqlx::query_scalar("select clock_timestamp()").fetch_one(pool).await?;
    Ok(Started { at, task })
}
