//! The claimer keeps the workers' queue of claimed rows topped up, and the
//! lease keeper keeps every held claim's lease from running out.
//!
//! How much to hold: the queue is topped up to its target whenever it falls
//! below a low-water mark (one row per worker, or a quarter of the target),
//! and the target is the rows this sender can send in half a lease at the
//! rate it measures, between one row per worker and `sender.batch_size`
//! (also the most claimed at once). So a slow relay
//! shrinks what this sender holds, and a fast one lets it claim in batches.
//! Leases are extended anyway, every quarter lease, so even a wrong guess
//! never lets another instance take a row this one still means to send.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{Mutex, Notify, mpsc};
use tokio_util::sync::CancellationToken;

use super::deliver::Worker;
use super::held::Held;
use crate::config::SenderSettings;
use crate::metrics::DeliveryEvent;
use crate::store::deliveries::{self, Claim};

/// The workers' end of the queue of claimed rows.
#[derive(Clone)]
pub struct Queue {
    rx: Arc<Mutex<mpsc::Receiver<Claim>>>,
    /// Wakes the claimer when a worker took a row.
    taken: Arc<Notify>,
    /// Rows taken by workers so far, for the rate.
    taken_so_far: Arc<AtomicU64>,
}

impl Queue {
    /// The next claimed row, or `None` once the claimer stopped and the
    /// queue is empty.
    pub async fn next(&self) -> Option<Claim> {
        let claim = self.rx.lock().await.recv().await;
        self.taken.notify_one();
        self.taken_so_far.fetch_add(1, Ordering::Relaxed);
        claim
    }

    /// The next claimed row if one is queued right now (and no other
    /// worker is waiting on the queue, which means it is empty).
    pub fn try_next(&self) -> Option<Claim> {
        let claim = self.rx.try_lock().ok()?.try_recv().ok()?;
        self.taken.notify_one();
        self.taken_so_far.fetch_add(1, Ordering::Relaxed);
        Some(claim)
    }
}

/// A queue for up to `capacity` claimed rows.
pub fn queue(capacity: i64) -> (mpsc::Sender<Claim>, Queue) {
    let (tx, rx) = mpsc::channel(capacity.max(1) as usize);
    let queue = Queue { rx: Arc::new(Mutex::new(rx)), taken: Arc::new(Notify::new()), taken_so_far: Arc::default() };
    (tx, queue)
}

#[derive(Clone)]
pub struct Claimer {
    worker: Worker,
    settings: SenderSettings,
    held: Held,
}

impl Claimer {
    pub fn new(worker: &Worker, settings: &SenderSettings, held: Held) -> Self {
        Self { worker: worker.clone(), settings: settings.clone(), held }
    }

    /// Tops the queue up until `stop`; then drops its end, so workers see
    /// the queue close once it is empty.
    pub async fn run(self, tx: mpsc::Sender<Claim>, queue: Queue, stop: CancellationToken) {
        let mut rate = Rate::new(queue.taken_so_far.clone());
        let mut failures = 0u32;
        while !stop.is_cancelled() {
            let queued = tx.max_capacity() - tx.capacity();
            let target = self.target(rate.per_second());
            let pause = if queued >= self.low_water(target) {
                None // enough queued: wait for a worker to take one
            } else {
                match self.claim(&tx, target - queued).await {
                    Ok(claimed) if claimed == target - queued => continue,
                    Ok(_) => {
                        failures = 0;
                        Some(self.settings.poll_interval.as_std())
                    }
                    Err(err) => {
                        failures += 1;
                        tracing::warn!(error = ?err, failures, "sender cannot reach the database; backing off");
                        Some(self.backoff(failures))
                    }
                }
            };
            tokio::select! {
                () = queue.taken.notified(), if pause.is_none() => {}
                () = tokio::time::sleep(pause.unwrap_or_default()), if pause.is_some() => {}
                () = stop.cancelled() => {}
            }
        }
    }

    /// The rows to hold: half a lease's worth at the measured rate, at least
    /// one per worker, at most `sender.batch_size`.
    fn target(&self, per_second: Option<f64>) -> usize {
        let floor = self.settings.concurrency.max(1);
        let ceiling = (self.settings.batch_size.max(1) as usize).max(floor);
        let by_rate = per_second.map_or(2 * floor, |r| (r * self.settings.lease.as_std().as_secs_f64() / 2.0) as usize);
        by_rate.clamp(floor, ceiling)
    }

    /// Below this many queued rows the queue is topped up to `target`: one
    /// row per worker, or a quarter of the target if that is more. Claiming
    /// in few large batches matters: each claim walks the due index past the
    /// entries of rows claimed before (dead until vacuum), so many small
    /// claims cost PostgreSQL far more than a few large ones.
    fn low_water(&self, target: usize) -> usize {
        self.settings.concurrency.max(target / 4)
    }

    /// Claims up to `wanted` rows into the queue; returns how many.
    async fn claim(&self, tx: &mpsc::Sender<Claim>, wanted: usize) -> anyhow::Result<usize> {
        let w = &self.worker;
        let lease = self.settings.lease.as_chrono();
        let claimed = deliveries::claim_due(&w.pool, &w.owner, wanted as i64, lease).await?;
        let count = claimed.len();
        self.held.add(&claimed);
        for claim in claimed {
            // The queue has room for every row claimed: `wanted` was its free space.
            if let Err(mpsc::error::SendError(claim)) = tx.send(claim).await {
                self.held.remove(claim.id());
            }
        }
        Ok(count)
    }

    fn backoff(&self, failures: u32) -> Duration {
        (self.settings.poll_interval.as_std() * 2u32.saturating_pow(failures.min(5))).min(Duration::from_secs(30))
    }

    /// Every quarter lease, extends the lease of every held claim; a claim
    /// found lost is forgotten, so its worker skips it. Runs until aborted.
    pub async fn keep_leases(self) {
        let lease = self.settings.lease.as_chrono();
        let every = self.settings.lease.as_std() / 4;
        loop {
            tokio::time::sleep(every).await;
            let held = self.held.snapshot();
            if held.is_empty() {
                continue;
            }
            match deliveries::extend_leases(&self.worker.pool, &self.worker.owner, &held, lease).await {
                Ok(kept) if kept.len() < held.len() => {
                    let lost = self.held.forget_lost(&held, &kept);
                    if !lost.is_empty() {
                        tracing::warn!(lost = lost.len(), "claims lost before they were sent; another sender has them");
                    }
                }
                Ok(_) => {}
                Err(err) => tracing::warn!(error = ?err, "cannot extend leases yet; will try again"),
            }
        }
    }
}

/// Releases every row still queued (shutdown), in one statement.
pub async fn release_queued(worker: &Worker, queue: &Queue, held: &Held) {
    let mut claims = Vec::new();
    {
        let mut rx = queue.rx.lock().await;
        while let Ok(claim) = rx.try_recv() {
            claims.push((claim.id(), claim.attempt()));
        }
    }
    if claims.is_empty() {
        return;
    }
    match deliveries::release_many(&worker.pool, &worker.owner, &claims).await {
        Ok(released) => worker.metrics.count(DeliveryEvent::Released, released),
        Err(err) => tracing::warn!(error = ?err, "could not release queued claims; they are rescued after the lease"),
    }
    held.remove_all(claims.into_iter().map(|(id, _)| id));
}

/// Rows taken by workers per second (what is sent, give or take the few
/// on the wire), measured over the last quarter second or so.
struct Rate {
    done: Arc<AtomicU64>,
    since: Instant,
    at_start: u64,
    per_second: Option<f64>,
}

impl Rate {
    fn new(done: Arc<AtomicU64>) -> Self {
        let at_start = done.load(Ordering::Relaxed);
        Self { done, since: Instant::now(), at_start, per_second: None }
    }

    /// Updates at most every 250 ms; `None` until something was sent.
    fn per_second(&mut self) -> Option<f64> {
        let elapsed = self.since.elapsed();
        if elapsed >= Duration::from_millis(250) {
            let done = self.done.load(Ordering::Relaxed);
            let measured = (done - self.at_start) as f64 / elapsed.as_secs_f64();
            if done > self.at_start {
                // Half the old estimate, half the new: steady, and quick to follow a change.
                self.per_second = Some(self.per_second.map_or(measured, |old| (old + measured) / 2.0));
            }
            (self.since, self.at_start) = (Instant::now(), done);
        }
        self.per_second
    }
}
