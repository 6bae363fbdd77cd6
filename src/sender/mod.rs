//! The sender: claims due deliveries, sends them, records what happened, as
//! a pipeline that keeps every SMTP connection busy and records each
//! accepted mail within milliseconds.
//!
//! ```text
//!  claimer ──▶ queue of claimed rows ──▶ workers (one per connection) ──▶ recorder
//!     │        (topped up below a low-water                │  2xx            (group commits)
//!     │         mark, never more than half a               └─ other outcomes recorded by the worker
//!     │         lease's worth at the measured rate)
//!  lease keeper: extends the leases of every held row well before they end
//! ```
//!
//! - [`claimer`] claims up to `sender.batch_size` rows at a time whenever the
//!   queue falls below its low-water mark, and holds no more than the rows it
//!   can send in half a lease at the rate it measures;
//! - [`deliver`]: each worker loads, composes and builds the next queued
//!   row's mail before the current one's end of data goes out, so that the
//!   next envelope can leave in the same write (one round trip per message,
//!   see `mail::smtp`); it records any outcome but a 2xx itself; a failure
//!   to load is retried like a 4xx, and only a permanent condition cancels a
//!   delivery;
//! - [`recorder`] writes 2xx in fenced group commits as they arrive (each
//!   group waits `sender.record_wait` for more, up to
//!   `sender.record_batch`). A worker hands over a 2xx only when the recorder
//!   has room, so at any moment at most `sender.concurrency +
//!   sender.record_batch` mails have been accepted by the relay and not yet
//!   recorded: that is the most a crash can send twice, whatever the batch
//!   size;
//! - [`held`] knows every row this sender holds a claim on; the lease keeper
//!   extends them all every quarter lease, so a slow relay never lets
//!   another instance take a row this one is still going to send. A row
//!   whose lease was lost anyway is dropped, not sent.
//!
//! Every write after a claim is fenced on (id, attempt, owner): if this
//! sender's lease was taken over, the write matches nothing and is counted,
//! never applied.
//!
//! [`Sender::try_execute_batch`] is the step tests drive: it claims one batch
//! and runs it through the same workers and recorder until it is settled.
//! [`Sender::run_until_stopped`] runs the pipeline, and `tend serve` runs it
//! on a thread of its own ([`Sender::start_on_own_thread`]). Shutdown: stop
//! claiming, release the queued rows at once, let the sends on the wire
//! finish, flush the recorder.

use std::sync::Arc;

use anyhow::Context;
use chrono::Duration;
use futures_util::StreamExt;
use rand::Rng;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::config::SenderSettings;
use crate::mail::{Composer, Mailer};
use crate::metrics::Metrics;
use crate::store::{self, deliveries};

mod claimer;
mod deliver;
mod held;
mod outcome;
mod recorder;

use deliver::Worker;
pub use deliver::backoff;
use held::Held;
use recorder::Recorder;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecutionOutcome {
    EmptyQueue,
    /// This many deliveries were claimed and settled (sent, retried, failed,
    /// cancelled, or released at shutdown).
    Processed(usize),
}

/// What a sender is built from.
pub struct SenderParts {
    pub pool: PgPool,
    pub mailer: Arc<Mailer>,
    pub composer: Arc<Composer>,
    pub settings: SenderSettings,
    /// A nudge retried later than this after its slot waits for the next day.
    pub stale_after: Duration,
    pub metrics: Arc<Metrics>,
}

#[derive(Clone)]
pub struct Sender {
    worker: Worker,
    settings: SenderSettings,
}

impl Sender {
    pub fn new(parts: SenderParts) -> Self {
        let owner = format!("{}-{:08x}", std::process::id(), rand::rng().random::<u32>());
        let settings = parts.settings.clone();
        Self { worker: Worker::new(parts, owner), settings }
    }

    /// This sender's claim owner, as written in `delivery_queue.owner` while
    /// it holds a claim and in `deliveries.owner` once it settled one.
    pub fn owner(&self) -> &str {
        &self.worker.owner
    }

    /// The counters this sender counts into.
    pub fn metrics(&self) -> &Metrics {
        &self.worker.metrics
    }

    /// Claims one batch and settles every delivery in it, through the same
    /// workers and recorder as the pipeline.
    #[tracing::instrument(name = "send batch", skip_all, fields(owner = %self.worker.owner))]
    pub async fn try_execute_batch(&self) -> anyhow::Result<ExecutionOutcome> {
        let w = &self.worker;
        let claimed = deliveries::claim_due(&w.pool, &w.owner, self.settings.batch_size, self.lease()).await?;
        if claimed.is_empty() {
            return Ok(ExecutionOutcome::EmptyQueue);
        }
        let count = claimed.len();
        let held = Held::default();
        held.add(&claimed);
        let (recorder, recording) = Recorder::start(w.recorder_parts(&held));
        futures_util::stream::iter(claimed)
            .for_each_concurrent(self.settings.concurrency, |claim| w.settle(claim, &held, &recorder, false))
            .await;
        drop(recorder);
        recording.await;
        Ok(ExecutionOutcome::Processed(count))
    }

    /// Runs the pipeline until `shutdown`, then drains it: queued claims are
    /// released, sends on the wire finish and every outcome is recorded
    /// before this returns.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) {
        let held = Held::default();
        let (queue_tx, queue) = claimer::queue(self.settings.batch_size);
        let (recorder, recording) = Recorder::start(self.worker.recorder_parts(&held));
        let claimer = claimer::Claimer::new(&self.worker, &self.settings, held.clone());
        let claiming = tokio::spawn(claimer.clone().run(queue_tx, queue.clone(), shutdown.clone()));
        let keeping = tokio::spawn(claimer.keep_leases());
        let workers: Vec<_> = (0..self.settings.concurrency)
            .map(|_| {
                let (worker, queue, held, recorder) =
                    (self.worker.clone(), queue.clone(), held.clone(), recorder.clone());
                let stop = shutdown.clone();
                tokio::spawn(async move { worker.work(&queue, &held, &recorder, &stop).await })
            })
            .collect();
        drop(recorder);
        shutdown.cancelled().await;
        let _ = claiming.await;
        claimer::release_queued(&self.worker, &queue, &held).await;
        futures_util::future::join_all(workers).await;
        recording.await;
        keeping.abort();
        tracing::info!("sender stopped");
    }

    /// Runs the pipeline as [`Self::run_until_stopped`] does, on a thread of
    /// its own with a single-threaded runtime and a database pool of its
    /// own. One thread is the sender's whole share of the CPU: its tasks
    /// wake one another on that thread, never across threads (a runtime
    /// shared with the web role cost about a tenth of the delivery rate on two
    /// cores, BENCHMARKS.md finding 19), and web traffic cannot delay a
    /// send. The returned future resolves once the pipeline has drained.
    pub fn start_on_own_thread(self, shutdown: CancellationToken) -> anyhow::Result<impl Future<Output = ()>> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the sender's runtime")?;
        let (done, drained) = tokio::sync::oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("tend-sender".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let pool = store::pool_for_own_runtime(&self.worker.pool);
                    self.with_pool(pool).run_until_stopped(shutdown).await;
                });
                let _ = done.send(());
            })
            .context("cannot start the sender's thread")?;
        Ok(async move {
            let _ = drained.await;
        })
    }

    fn with_pool(mut self, pool: PgPool) -> Self {
        self.worker.pool = pool;
        self
    }

    fn lease(&self) -> chrono::Duration {
        self.settings.lease.as_chrono()
    }
}
