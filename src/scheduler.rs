//! Periodic jobs: the planning sweep, the lease rescue, the pending-TTL job
//! that deletes what was never confirmed, the weekly shared signal, and the
//! fold of the metrics' count deltas (`store::gauges`), which keeps their
//! table small whether or not a metrics listener runs.
//!
//! tokio-cron-scheduler fires a few UTC cron expressions; each job body only
//! pokes a `Notify`. The work itself runs in our own tasks, tracked by the
//! caller's `TaskTracker` and stopped by the shutdown token, because the
//! cron scheduler's `shutdown()` does not wait for running jobs. Per-subscriber
//! schedules are rows in PostgreSQL, never cron jobs.
//!
//! Several instances may run against one database: each job body runs under
//! a PostgreSQL advisory lock (`run_as_singleton`, or the fold's own), so one
//! instance does a tick's work and the others skip that tick. Every job is
//! idempotent or fenced anyway; the lock saves the duplicated effort. While PostgreSQL is
//! away a tick fails, is logged and the next tick tries again.

use std::future::Future;
use std::sync::Arc;

use anyhow::Context;
use sqlx::PgPool;
use tokio::sync::Notify;
use tokio_cron_scheduler::{Job, JobScheduler};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::metrics::{DeliveryEvent, Metrics};
use crate::planner::Planner;
use crate::store;
use crate::subscriptions;

/// Every 30 seconds: slots are minute-precise, so a nudge leaves at most half
/// a minute after its slot (plus the sender's poll interval).
const PLAN_EVERY: &str = "*/30 * * * * *";
/// Every 5 seconds: a crashed instance's claims wait at most lease + 5 s.
/// The query only touches claimed queue rows whose lease ran out (indexed).
const RESCUE_EVERY: &str = "*/5 * * * * *";
/// Every 10 minutes: an unconfirmed address goes at most that long after
/// `subscribe.pending_ttl`. The query reads the pending rows by age (indexed).
const EXPIRE_EVERY: &str = "0 */10 * * * *";
/// Every minute: the deltas the count triggers append are folded into the
/// totals (the metrics listener's refresh folds too, every `metrics.refresh`).
const FOLD_EVERY: &str = "0 * * * * *";
/// Hourly: the shared signal is about the last whole week (Monday 00:00
/// UTC), so the first tick after that queues it; the others find it queued.
const SIGNAL_EVERY: &str = "0 7 * * * *";
/// Advisory lock keys of the singleton jobs (arbitrary, fixed, tend's own;
/// 0x7465_6e64_0003 is the gauge fold's, `store::gauges`).
const PLAN_LOCK: i64 = 0x7465_6e64_0001;
const RESCUE_LOCK: i64 = 0x7465_6e64_0002;
const EXPIRE_LOCK: i64 = 0x7465_6e64_0004;
const SIGNAL_LOCK: i64 = 0x7465_6e64_0005;

/// What the periodic jobs work with.
pub struct Jobs {
    pub planner: Planner,
    pub pool: PgPool,
    /// Where the rescue job counts rescued claims.
    pub metrics: Arc<Metrics>,
    /// `subscribe.pending_ttl`: how long an unconfirmed request is kept.
    pub pending_ttl: chrono::Duration,
}

pub async fn start(jobs: Jobs, shutdown: CancellationToken, tracker: &TaskTracker) -> anyhow::Result<()> {
    let Jobs { planner, pool, metrics, pending_ttl } = jobs;
    let plan_tick = Arc::new(Notify::new());
    let rescue_tick = Arc::new(Notify::new());
    let expire_tick = Arc::new(Notify::new());
    let fold_tick = Arc::new(Notify::new());
    let signal_tick = Arc::new(Notify::new());
    let mut cron = JobScheduler::new().await.context("failed to create the job scheduler")?;
    cron.add(poke(PLAN_EVERY, plan_tick.clone())?).await.context("failed to add the planning job")?;
    cron.add(poke(RESCUE_EVERY, rescue_tick.clone())?).await.context("failed to add the rescue job")?;
    cron.add(poke(EXPIRE_EVERY, expire_tick.clone())?).await.context("failed to add the pending-TTL job")?;
    cron.add(poke(FOLD_EVERY, fold_tick.clone())?).await.context("failed to add the gauge fold job")?;
    cron.add(poke(SIGNAL_EVERY, signal_tick.clone())?).await.context("failed to add the shared signal job")?;
    cron.start().await.context("failed to start the job scheduler")?;

    // Plan and expire once right away, then on every tick.
    plan_tick.notify_one();
    expire_tick.notify_one();
    let expire_pool = pool.clone();
    tracker.spawn(repeat_on(expire_tick, shutdown.clone(), "pending TTL", move || {
        let pool = expire_pool.clone();
        async move {
            let expire = subscriptions::expire_unconfirmed(&pool, pending_ttl);
            if let Some(expired) = run_as_singleton(&pool, EXPIRE_LOCK, expire).await? {
                tracing::info!(
                    subscribers = expired.subscribers,
                    requests = expired.requests,
                    "deleted what was never confirmed"
                );
            }
            Ok(())
        }
    }));
    let fold_pool = pool.clone();
    tracker.spawn(repeat_on(fold_tick, shutdown.clone(), "gauge fold", move || {
        let pool = fold_pool.clone();
        // The fold takes its own transaction-scoped lock: no singleton wrapper.
        async move { store::gauges::fold_deltas(&pool).await.map(|_| ()) }
    }));
    let plan_pool = pool.clone();
    let signal_planner = planner.clone();
    tracker.spawn(repeat_on(plan_tick, shutdown.clone(), "planning sweep", move || {
        let planner = planner.clone();
        let pool = plan_pool.clone();
        async move { run_as_singleton(&pool, PLAN_LOCK, planner.plan_due()).await.map(|_| ()) }
    }));
    signal_tick.notify_one();
    let signal_pool = pool.clone();
    tracker.spawn(repeat_on(signal_tick, shutdown.clone(), "shared signal", move || {
        let planner = signal_planner.clone();
        let pool = signal_pool.clone();
        async move { run_as_singleton(&pool, SIGNAL_LOCK, planner.plan_shared_signals()).await.map(|_| ()) }
    }));
    tracker.spawn(repeat_on(rescue_tick, shutdown.clone(), "lease rescue", move || {
        let pool = pool.clone();
        let metrics = metrics.clone();
        async move {
            let rescue = store::deliveries::rescue_expired_leases(&pool);
            if let Some(rescued) = run_as_singleton(&pool, RESCUE_LOCK, rescue).await?.filter(|n| *n > 0) {
                metrics.count(DeliveryEvent::Rescued, rescued);
                tracing::warn!(rescued, "returned expired claims to the queue");
            }
            Ok(())
        }
    }));
    tracker.spawn(async move {
        shutdown.cancelled().await;
        if let Err(err) = cron.shutdown().await {
            tracing::warn!(error = %err, "job scheduler did not stop cleanly");
        }
    });
    Ok(())
}

fn poke(schedule: &str, tick: Arc<Notify>) -> anyhow::Result<Job> {
    Job::new_async(schedule, move |_id, _scheduler| {
        let tick = tick.clone();
        Box::pin(async move { tick.notify_one() })
    })
    .with_context(|| format!("invalid cron expression {schedule}"))
}

/// Runs `job` while holding the advisory lock `key` on a connection of its
/// own; `None` if another instance holds it.
async fn run_as_singleton<T>(
    pool: &PgPool,
    key: i64,
    job: impl Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<Option<T>> {
    let mut conn = pool.acquire().await.context("failed to get a connection for a singleton job")?;
    if !store::deliveries::try_lock_singleton(&mut conn, key).await? {
        tracing::debug!(key, "another instance runs this job now; skipping this tick");
        return Ok(None);
    }
    let result = job.await;
    if let Err(err) = store::deliveries::unlock_singleton(&mut conn, key).await {
        // Closing the session releases the lock for certain.
        tracing::warn!(error = ?err, "could not release a singleton lock; closing its connection");
        drop(conn.detach());
    }
    result.map(Some)
}

/// Runs `step` each time `tick` fires until shutdown. A failing step is logged
/// and tried again on the next tick; the process keeps running.
async fn repeat_on<F, Fut>(tick: Arc<Notify>, shutdown: CancellationToken, name: &'static str, step: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    loop {
        tokio::select! {
            () = tick.notified() => {}
            () = shutdown.cancelled() => break,
        }
        if let Err(err) = step().await {
            tracing::warn!(error = ?err, job = name, "periodic job failed; will try again");
        }
    }
}
