//! The recorder: writes 2xx outcomes in fenced group commits as they arrive.
//!
//! The recorder waits for one accepted mail, lets the group grow for
//! `sender.record_wait` (or until `sender.record_batch` are waiting), and
//! writes it in one statement; whatever arrives meanwhile goes into the next
//! commit. Idle, a mail is recorded within that wait and a round trip; busy,
//! commits grow with the load. Without the wait, commits taken back to back
//! held the seven or eight mails accepted during the one before, and their
//! number (hundreds a second, each a WAL flush and a run of the outcome
//! triggers) was a fifth of PostgreSQL's work per mail (BENCHMARKS.md
//! finding 19).
//!
//! The bound on duplicates lives here. A worker hands over an accepted mail
//! only once it holds one of `record_batch` permits, and a permit is given
//! back only when its mail's row is committed. So at any moment the relay
//! has accepted at most `record_batch` mails that wait here, plus one per
//! worker that is waiting for a permit: a crash sends at most
//! `sender.concurrency + sender.record_batch` mails twice.

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

use super::held::Held;
use crate::metrics::{DeliveryEvent, Metrics};
use crate::store::deliveries::{self, SentRow};

/// How often a commit that failed (database away) is tried again.
const RETRY: Duration = Duration::from_millis(200);

pub struct RecorderParts {
    pub pool: PgPool,
    pub owner: String,
    pub metrics: Arc<Metrics>,
    pub held: Held,
    /// The most accepted mails waiting to be recorded (`sender.record_batch`).
    pub batch: usize,
    /// How long a commit is retried before its rows are left to the rescue.
    pub patience: Duration,
    /// How long a group may wait for more mails before it is written.
    pub wait: Duration,
}

/// Where workers hand accepted mail; the recorder ends when every handle is
/// dropped and the last commit is written.
#[derive(Clone)]
pub struct RecorderHandle {
    tx: mpsc::UnboundedSender<(SentRow, OwnedSemaphorePermit)>,
    permits: Arc<Semaphore>,
}

impl RecorderHandle {
    /// Hands over one accepted mail, waiting while `record_batch` are
    /// already waiting to be written.
    pub async fn accepted(&self, row: SentRow) {
        let Ok(permit) = self.permits.clone().acquire_owned().await else {
            return;
        };
        let _ = self.tx.send((row, permit));
    }
}

pub struct Recorder;

impl Recorder {
    /// Starts the recording task; await the returned future for it to finish.
    pub fn start(parts: RecorderParts) -> (RecorderHandle, impl Future<Output = ()>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let permits = Arc::new(Semaphore::new(parts.batch.max(1)));
        let task = tokio::spawn(record_until_closed(parts, rx));
        let done = async move {
            if let Err(err) = task.await {
                tracing::error!(error = %err, "the recorder stopped abnormally");
            }
        };
        (RecorderHandle { tx, permits }, done)
    }
}

async fn record_until_closed(parts: RecorderParts, mut rx: mpsc::UnboundedReceiver<(SentRow, OwnedSemaphorePermit)>) {
    let mut batch = Vec::with_capacity(parts.batch);
    while rx.recv_many(&mut batch, parts.batch).await > 0 {
        gather(&mut rx, &mut batch, parts.batch, parts.wait).await;
        let (rows, permits): (Vec<SentRow>, Vec<OwnedSemaphorePermit>) = batch.drain(..).unzip();
        commit(&parts, &rows).await;
        parts.held.remove_all(rows.iter().map(|r| r.id));
        drop(permits);
    }
}

/// Lets a group grow for up to `wait` after its first mail, or until it
/// holds `limit`: one commit for many mails is what keeps PostgreSQL's work
/// per mail low, and commits taken back to back each hold only the few
/// mails accepted during the previous one.
async fn gather<T>(rx: &mut mpsc::UnboundedReceiver<T>, batch: &mut Vec<T>, limit: usize, wait: Duration) {
    let deadline = tokio::time::Instant::now() + wait;
    while batch.len() < limit {
        match tokio::time::timeout_at(deadline, rx.recv_many(batch, limit - batch.len())).await {
            Ok(0) | Err(_) => return, // every handle dropped, or waited long enough
            Ok(_) => {}
        }
    }
}

/// Writes one group, retrying while the database is away for up to one
/// lease. Rows whose claim was lost meanwhile are counted, never written.
async fn commit(parts: &RecorderParts, rows: &[SentRow]) {
    let deadline = tokio::time::Instant::now() + parts.patience;
    let recorded = loop {
        match deliveries::mark_many_sent(&parts.pool, &parts.owner, rows).await {
            Ok(recorded) => break recorded,
            Err(err) if tokio::time::Instant::now() < deadline => {
                tracing::warn!(error = ?err, rows = rows.len(), "cannot record sent mail yet; retrying");
                tokio::time::sleep(RETRY).await;
            }
            Err(err) => {
                tracing::error!(error = ?err, rows = rows.len(), "failed to record sent mail; the claims will be rescued");
                return;
            }
        }
    };
    let lost = rows.len() - recorded.len();
    if lost > 0 {
        parts.metrics.count(DeliveryEvent::LostLease, lost as u64);
        tracing::warn!(lost, "leases lost before sent mail was recorded; the newer claims decide");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LONG: Duration = Duration::from_secs(3600);

    #[tokio::test]
    async fn a_full_group_is_written_without_waiting() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        for i in 0..5 {
            tx.send(i).unwrap();
        }
        let mut batch = Vec::new();
        rx.recv_many(&mut batch, 3).await;
        // An hour's wait would hang the test: a group at its limit goes at once.
        gather(&mut rx, &mut batch, 3, LONG).await;
        assert_eq!(batch, [0, 1, 2]);
        gather(&mut rx, &mut batch, 5, LONG).await;
        assert_eq!(batch, [0, 1, 2, 3, 4], "mails already waiting join the group");
    }

    #[tokio::test]
    async fn the_last_group_goes_when_every_worker_is_done() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        tx.send(1).unwrap();
        drop(tx);
        let mut batch = Vec::new();
        rx.recv_many(&mut batch, 10).await;
        gather(&mut rx, &mut batch, 10, LONG).await;
        assert_eq!(batch, [1]);
    }

    #[tokio::test]
    async fn a_group_that_waited_long_enough_goes_with_what_it_has() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        tx.send(1).unwrap();
        let mut batch = Vec::new();
        rx.recv_many(&mut batch, 10).await;
        gather(&mut rx, &mut batch, 10, Duration::ZERO).await;
        assert_eq!(batch, [1]);
        drop(tx);
    }
}
