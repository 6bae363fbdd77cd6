//! graphile_worker at the settings its documentation gives for throughput
//! (docs/src/configuration/worker-options.md, "Throughput-oriented worker"):
//! a local queue of 100 fetched per round trip (ttl 60 s), completions and
//! permanent failures flushed in batches every 5 ms, a 500 ms fallback poll,
//! LISTEN/NOTIFY to wake it. Two shapes of job:
//!
//! - one `send_nudge` job per delivery, completed on its own (the handler
//!   records its row);
//! - batch jobs (docs/src/guides/batch-jobs.md): one `send_nudges` job
//!   carries [`BATCH`] deliveries, its handler sends them and records the
//!   sent ones in one statement, and the job completes as one row (items that
//!   failed are retried by the library on their own).
//!
//! The worker is built (migrations, task registration) and running before
//! the jobs are added, so its start-up is outside the timed window.

use std::sync::Arc;

use graphile_worker::{
    BatchTaskHandler, IntoBatchTaskHandlerResult, IntoTaskHandlerResult, LocalQueueConfig, TaskHandler, WorkerContext,
    WorkerOptions,
};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use std::time::Duration;

use super::{Running, Shared, mark_sent, send_mail, send_one};

/// Deliveries per batch job: enough that 16 jobs in flight keep every
/// connection busy, few enough that the last jobs do not leave a long tail.
pub const BATCH: i64 = 50;

/// The settings the results table names.
pub fn settings(batch_jobs: bool) -> String {
    let jobs = if batch_jobs { format!("batch jobs of {BATCH}") } else { "one job per mail".into() };
    format!("{jobs}, local queue 100, completion batching 5 ms")
}

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

/// One item of a `send_nudges` batch job.
#[derive(Deserialize, Serialize)]
struct NudgeItem {
    id: i64,
}

impl BatchTaskHandler for NudgeItem {
    const IDENTIFIER: &'static str = "send_nudges";

    fn run_batch(
        items: Vec<Self>,
        ctx: WorkerContext,
    ) -> impl Future<Output = impl IntoBatchTaskHandlerResult> + Send + 'static {
        let shared = ctx.get_ext::<Arc<Shared>>().expect("the shared state is registered").clone();
        async move {
            let mut results = Vec::with_capacity(items.len());
            let mut sent = Vec::with_capacity(items.len());
            for item in &items {
                let result = send_mail(&shared, item.id).await.map_err(|e| format!("{e:#}"));
                if result.is_ok() {
                    sent.push(item.id);
                }
                results.push(result);
            }
            // If recording fails, every item is retried (and the checks count
            // the duplicates).
            match mark_sent(&shared, &sent).await {
                Ok(()) => results,
                Err(e) => items.iter().map(|_| Err(format!("{e:#}"))).collect(),
            }
        }
    }
}

/// Builds the worker and starts it; returns once it is running.
pub async fn start(url: &str, shared: Arc<Shared>, concurrency: usize) -> anyhow::Result<Running> {
    let worker = WorkerOptions::default()
        .concurrency(concurrency)
        .poll_interval(Duration::from_millis(500))
        .complete_job_batch_delay(Duration::from_millis(5))
        .fail_job_batch_delay(Duration::from_millis(5))
        .local_queue(LocalQueueConfig::default().with_size(100).with_ttl(Duration::from_secs(60)))
        .schema("graphile_worker")
        .define_job::<SendNudge>()
        .define_batch_job::<NudgeItem>()
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
    Ok(Running { task, apalis: None })
}

/// Adds the jobs in one transaction with graphile_worker's `add_job` SQL
/// function (whose insert notifies the worker).
pub async fn enqueue(pool: &PgPool, batch_jobs: bool) -> anyhow::Result<()> {
    let sql = if batch_jobs {
        r#"select graphile_worker.add_job('send_nudges', json_agg(json_build_object('id', id)))
           from deliveries where kind = 'nudge' group by (id - 1) / $1"#
    } else {
        r#"select graphile_worker.add_job('send_nudge', json_build_object('id', id))
           from deliveries where kind = 'nudge' and $1 > 0"#
    };
    sqlx::query(sql).bind(BATCH).execute(pool).await?;
    Ok(())
}
