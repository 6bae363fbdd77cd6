//! The sender: claims due deliveries, sends them, records what happened.
//!
//! `try_execute_batch` is one step (claim a batch, send it with bounded
//! concurrency, record the outcomes) that tests drive directly; the loop in
//! `run_until_stopped` just repeats it until shutdown. The batch's 2xx are
//! recorded together in one statement at its end (one commit per row was
//! what limited the send rate); every other outcome as it happens. Every
//! record is fenced on (id, attempt, owner): if this worker's lease expired
//! and another worker took the row, the write matches nothing and is
//! logged, never applied.
//!
//! Before sending, the claimed row's mail is loaded (`store::mail_context`)
//! and composed (`mail::Composer`, pure). A row the subscription no longer
//! wants, or one that cannot become a mail, is cancelled; a failure to load
//! (the database blinked) is retried like a 4xx, never cancelled.
//!
//! Outcomes and what follows (see `mail::SendOutcome`):
//! - sent: recorded with the relay's reply;
//! - permanent (5xx): failed with code and text; a 5.1.x status also
//!   suppresses the address and cancels its other queued mail;
//! - transient: retried with exponential backoff and jitter. Only answers
//!   from the relay (4xx) use up `sender.max_attempts`; a relay that cannot
//!   be reached never turns mail into a permanent failure, and a nudge whose
//!   retry would be later than `stale_after` after its slot waits for the
//!   same time on a later day instead;
//! - unknown (reply lost after the end of data): retried with the same
//!   Message-ID, counted on the row and in the metrics.
//!
//! Shutdown: once the stop token fires, no batch is claimed and no send is
//! started; claimed rows that were not started are released at once, sends
//! already on the wire finish (bounded by `mail.timeout`) and are recorded.

use std::sync::Arc;

use anyhow::Context;
use chrono::Duration;
use futures_util::StreamExt;
use rand::Rng;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::config::SenderSettings;
use crate::mail::{Composer, Mailer, OutgoingEmail, SendOutcome};
use crate::metrics::{DeliveryEvent, Metrics};
use crate::store::deliveries::{self, Claim, Claimed, Fence, Retry, SentRow};
use crate::store::mail_context::{self, Loaded};

/// How often an outcome that could not be written is tried again.
const RECORD_RETRY: std::time::Duration = std::time::Duration::from_millis(500);

/// The longest a retry waits, however many attempts came before.
const MAX_BACKOFF: Duration = Duration::hours(6);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecutionOutcome {
    EmptyQueue,
    /// This many deliveries were claimed and settled (sent, retried, failed,
    /// cancelled, or released at shutdown).
    Processed(usize),
}

#[derive(Clone)]
pub struct Sender {
    pool: PgPool,
    mailer: Arc<Mailer>,
    composer: Arc<Composer>,
    settings: SenderSettings,
    stale_after: Duration,
    metrics: Arc<Metrics>,
    owner: String,
    /// Cancelled at shutdown: claim nothing more, start no send.
    stop: CancellationToken,
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

impl Sender {
    pub fn new(parts: SenderParts) -> Self {
        let SenderParts { pool, mailer, composer, settings, stale_after, metrics } = parts;
        let owner = format!("{}-{:08x}", std::process::id(), rand::rng().random::<u32>());
        Self { pool, mailer, composer, settings, stale_after, metrics, owner, stop: CancellationToken::new() }
    }

    /// The counters this sender counts into.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// This sender's claim owner, as written in `deliveries.owner`.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// Claims one batch and settles every delivery in it.
    #[tracing::instrument(name = "send batch", skip_all, fields(owner = %self.owner))]
    pub async fn try_execute_batch(&self) -> anyhow::Result<ExecutionOutcome> {
        if self.stop.is_cancelled() {
            return Ok(ExecutionOutcome::EmptyQueue);
        }
        let claimed =
            deliveries::claim_due(&self.pool, &self.owner, self.settings.batch_size, self.settings.lease.as_chrono())
                .await?;
        if claimed.is_empty() {
            return Ok(ExecutionOutcome::EmptyQueue);
        }
        let count = claimed.len();
        let results: Vec<anyhow::Result<Option<SentRow>>> = futures_util::stream::iter(claimed)
            .map(|claim| self.settle(claim))
            .buffer_unordered(self.settings.concurrency)
            .collect()
            .await;
        let mut sent = Vec::with_capacity(count);
        for result in results {
            match result {
                Ok(Some(row)) => sent.push(row),
                Ok(None) => {}
                // The claim stays leased and is rescued after it expires.
                Err(err) => tracing::error!(error = ?err, "failed to record a delivery outcome"),
            }
        }
        if let Err(err) = self.record_sent_patiently(&sent).await {
            tracing::error!(error = ?err, count = sent.len(), "failed to record sent mail; the claims will be rescued");
        }
        Ok(ExecutionOutcome::Processed(count))
    }

    /// Records the batch's 2xx in one fenced statement, retrying like
    /// `record_patiently`. A row whose claim was lost meanwhile is skipped
    /// and counted, never written.
    async fn record_sent_patiently(&self, sent: &[SentRow]) -> anyhow::Result<()> {
        if sent.is_empty() {
            return Ok(());
        }
        let deadline = tokio::time::Instant::now() + self.settings.lease.as_std();
        let recorded = loop {
            match deliveries::mark_many_sent(&self.pool, &self.owner, sent).await {
                Err(err) if tokio::time::Instant::now() < deadline => {
                    tracing::warn!(error = ?err, "cannot record sent mail yet; retrying");
                    tokio::time::sleep(RECORD_RETRY).await;
                }
                result => break result?,
            }
        };
        let lost = sent.len() - recorded.len();
        if lost > 0 {
            self.metrics.count(DeliveryEvent::LostLease, lost as u64);
            tracing::warn!(lost, "leases lost before sent mail was recorded; the newer claims decide");
        }
        Ok(())
    }

    /// Repeats `try_execute_batch` until `shutdown`. After it fires, sends on
    /// the wire finish and unstarted claims are released before this returns.
    pub async fn run_until_stopped(mut self, shutdown: CancellationToken) {
        self.stop = shutdown.clone();
        let poll = self.settings.poll_interval.as_std();
        let mut failures = 0u32;
        while !shutdown.is_cancelled() {
            let pause = match self.try_execute_batch().await {
                Ok(ExecutionOutcome::Processed(_)) => {
                    failures = 0;
                    continue;
                }
                Ok(ExecutionOutcome::EmptyQueue) => {
                    failures = 0;
                    poll
                }
                Err(err) => {
                    failures += 1;
                    tracing::warn!(error = ?err, failures, "sender cannot reach the database; backing off");
                    (poll * 2u32.saturating_pow(failures.min(5))).min(std::time::Duration::from_secs(30))
                }
            };
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                () = shutdown.cancelled() => {}
            }
        }
        tracing::info!("sender stopped");
    }

    /// Settles one claim: an unreadable row is cancelled with the reason,
    /// a readable one is delivered.
    async fn settle(&self, claim: Claim) -> anyhow::Result<Option<SentRow>> {
        match claim {
            Claim::Ready(delivery) => self.deliver(*delivery).await,
            Claim::Unreadable { id, attempt, reason } => {
                tracing::error!(delivery_id = id, reason, "claimed row cannot be read; cancelling it");
                let fence = Fence { id, attempt, owner: &self.owner };
                self.cancel(fence, &format!("cannot be read: {reason}")).await?;
                Ok(None)
            }
        }
    }

    #[tracing::instrument(skip_all, fields(delivery_id = delivery.id, attempt = delivery.attempt, kind = %delivery.kind))]
    /// Sends one claimed delivery. A 2xx comes back to be recorded with its
    /// batch; every other outcome is recorded here.
    async fn deliver(&self, delivery: Claimed) -> anyhow::Result<Option<SentRow>> {
        let fence = Fence { id: delivery.id, attempt: delivery.attempt, owner: &self.owner };
        if self.stop.is_cancelled() {
            if deliveries::release_claimed(&self.pool, fence).await? {
                self.metrics.count(DeliveryEvent::Released, 1);
            }
            return Ok(None);
        }
        if delivery.suppressed {
            self.cancel(fence, "address suppressed after a 5.1.x answer").await?;
            return Ok(None);
        }
        let email = match mail_context::load(&self.pool, &delivery).await {
            Ok(Loaded::Mail(mail)) => self.composer.compose(&mail),
            Ok(Loaded::NotWanted(reason) | Loaded::Broken(reason)) => {
                self.cancel(fence, reason).await?;
                return Ok(None);
            }
            Err(err) => {
                // A failure to read is no reason to drop the mail: retry it.
                let outcome = SendOutcome::Transient { code: None, reason: format!("cannot load the mail: {err:#}") };
                self.record_patiently(&delivery, fence, &outcome).await?;
                return Ok(None);
            }
        };
        let outcome = self.send(&email).await;
        if let SendOutcome::Sent { code, reply } = outcome {
            return Ok(Some(SentRow { id: delivery.id, attempt: delivery.attempt, code: code as i16, reply }));
        }
        self.record_patiently(&delivery, fence, &outcome).await?;
        Ok(None)
    }

    /// Hands one email to the transport, timed and counted.
    async fn send(&self, email: &OutgoingEmail) -> SendOutcome {
        let started = std::time::Instant::now();
        let outcome = self.mailer.send(email).await;
        self.metrics.observe_send_latency(started.elapsed());
        self.metrics.count(outcome_event(&outcome), 1);
        outcome
    }

    async fn cancel(&self, fence: Fence<'_>, reason: &str) -> anyhow::Result<()> {
        if deliveries::cancel_claimed(&self.pool, fence, reason).await? {
            self.metrics.count(DeliveryEvent::Cancelled, 1);
        }
        Ok(())
    }

    /// Records the outcome, retrying while the database is unreachable for
    /// up to one lease: the write is fenced, so it still lands if nobody
    /// rescued the claim meanwhile, and a mail already accepted by the relay
    /// is not sent again just because PostgreSQL blinked.
    async fn record_patiently(
        &self,
        delivery: &Claimed,
        fence: Fence<'_>,
        outcome: &SendOutcome,
    ) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + self.settings.lease.as_std();
        loop {
            match self.record(delivery, fence, outcome).await {
                Err(err) if tokio::time::Instant::now() < deadline => {
                    tracing::warn!(error = ?err, "cannot record an outcome yet; retrying");
                    tokio::time::sleep(RECORD_RETRY).await;
                }
                result => return result,
            }
        }
    }

    async fn record(&self, delivery: &Claimed, fence: Fence<'_>, outcome: &SendOutcome) -> anyhow::Result<()> {
        let still_ours = match outcome {
            SendOutcome::Sent { code, reply } => deliveries::mark_sent(&self.pool, fence, *code as i16, reply).await?,
            SendOutcome::Permanent { code, reason } => {
                tracing::warn!(code, reason, "permanent failure");
                self.fail_permanently(delivery, fence, *code as i16, reason).await?
            }
            SendOutcome::Transient { code, reason } => {
                self.retry_or_give_up(delivery, fence, code.map(|c| c as i16), reason, false).await?
            }
            SendOutcome::Unknown { reason } => {
                tracing::warn!(reason, "outcome unknown; will retry with the same Message-ID");
                self.retry_or_give_up(delivery, fence, None, &format!("outcome unknown: {reason}"), true).await?
            }
        };
        if !still_ours {
            self.metrics.count(DeliveryEvent::LostLease, 1);
            tracing::warn!(?outcome, "lease lost before the outcome was recorded; the newer claim decides");
        }
        Ok(())
    }

    /// Fails the delivery; a 5.1.x status also suppresses the address and
    /// cancels the rest of its queued mail, in one transaction.
    async fn fail_permanently(
        &self,
        delivery: &Claimed,
        fence: Fence<'_>,
        code: i16,
        reason: &str,
    ) -> anyhow::Result<bool> {
        let mut tx = self.pool.begin().await.context("failed to start recording a permanent failure")?;
        if !deliveries::mark_failed(&mut *tx, fence, Some(code), reason).await? {
            return Ok(false);
        }
        if is_bad_address(reason) {
            tracing::warn!(code, "the relay says the address does not exist; suppressing it");
            deliveries::suppress_address(&mut tx, delivery.to.email.as_str(), code, reason).await?;
            deliveries::cancel_pending(&mut tx, delivery.to.subscriber_id).await?;
        }
        tx.commit().await.context("failed to commit a permanent failure")?;
        Ok(true)
    }

    async fn retry_or_give_up(
        &self,
        delivery: &Claimed,
        fence: Fence<'_>,
        code: Option<i16>,
        reason: &str,
        unknown: bool,
    ) -> anyhow::Result<bool> {
        // An unreachable relay is no reason to drop mail: only answers count.
        let relay_answered = code.is_some() || unknown;
        if relay_answered && fence.attempt >= self.settings.max_attempts {
            tracing::warn!(reason, "giving up after the last attempt");
            let error = format!("gave up after {} attempts: {reason}", fence.attempt);
            return deliveries::mark_failed(&self.pool, fence, code, &error).await;
        }
        let delay = backoff(self.settings.retry_base.as_chrono(), fence.attempt);
        let stale_after = delivery.kind.waits_for_its_hour().then_some(self.stale_after);
        tracing::info!(reason, delay_s = delay.num_seconds(), "transient failure; retrying later");
        let retry = Retry { delay, stale_after, code, error: reason, unknown_outcome: unknown };
        deliveries::retry_later(&self.pool, fence, retry).await
    }
}

fn outcome_event(outcome: &SendOutcome) -> DeliveryEvent {
    match outcome {
        SendOutcome::Sent { .. } => DeliveryEvent::Sent,
        SendOutcome::Transient { .. } => DeliveryEvent::Transient,
        SendOutcome::Permanent { .. } => DeliveryEvent::Permanent,
        SendOutcome::Unknown { .. } => DeliveryEvent::Unknown,
    }
}

/// RFC 3463 `5.1.x`: the address itself is bad (no such mailbox, bad syntax).
fn is_bad_address(reply: &str) -> bool {
    reply.split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == ':').any(|w| w.starts_with("5.1."))
}

/// `base * 2^(attempt-1)`, capped, plus up to 20% jitter so that retries
/// after a relay outage do not arrive all at once.
pub fn backoff(base: Duration, attempt: i32) -> Duration {
    let exponent = attempt.clamp(1, 20) - 1;
    let raw = base.checked_mul(1 << exponent).unwrap_or(MAX_BACKOFF).min(MAX_BACKOFF);
    let jitter_ms = (raw.num_milliseconds() / 5).max(1);
    raw + Duration::milliseconds(rand::rng().random_range(0..jitter_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_5_1_x_statuses_mean_a_bad_address() {
        assert!(is_bad_address("permanent error (550): 5.1.1 <x@y>: Recipient address rejected"));
        assert!(!is_bad_address("permanent error (550): 5.7.1 relay denied"));
        assert!(!is_bad_address("permanent error (554): 5.1 nothing"));
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let base = Duration::seconds(30);
        let first = backoff(base, 1);
        assert!(first >= base && first < base + Duration::seconds(7));
        let third = backoff(base, 3);
        assert!(third >= Duration::seconds(120) && third < Duration::seconds(145));
        assert!(backoff(base, 40) <= MAX_BACKOFF + MAX_BACKOFF / 5);
    }
}
