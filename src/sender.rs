//! The sender: claims due deliveries, sends them, records what happened.
//!
//! `try_execute_batch` is one step (claim a batch, send it with bounded
//! concurrency, record each outcome) that tests drive directly; the loop in
//! `run_until_stopped` just repeats it until shutdown. Every record is fenced
//! on (id, attempt, owner): if this worker's lease expired and another worker
//! took the row, the write matches nothing and is logged, never applied.

use std::sync::Arc;

use chrono::Duration;
use futures_util::StreamExt;
use rand::Rng;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::config::SenderSettings;
use crate::domain::{DeliveryKind, Track};
use crate::mail::{Composer, Mailer, OutgoingEmail, SendOutcome};
use crate::store::deliveries::{self, Claimed, Fence};

/// The longest a retry waits, however many attempts came before.
const MAX_BACKOFF: Duration = Duration::hours(6);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecutionOutcome {
    EmptyQueue,
    /// This many deliveries were claimed and settled (sent, retried, failed or cancelled).
    Processed(usize),
}

#[derive(Clone)]
pub struct Sender {
    pool: PgPool,
    mailer: Arc<Mailer>,
    composer: Arc<Composer>,
    settings: SenderSettings,
    owner: String,
}

impl Sender {
    pub fn new(pool: PgPool, mailer: Arc<Mailer>, composer: Arc<Composer>, settings: SenderSettings) -> Self {
        let owner = format!("{}-{:08x}", std::process::id(), rand::rng().random::<u32>());
        Self { pool, mailer, composer, settings, owner }
    }

    /// Claims one batch and settles every delivery in it.
    #[tracing::instrument(name = "send batch", skip_all, fields(owner = %self.owner))]
    pub async fn try_execute_batch(&self) -> anyhow::Result<ExecutionOutcome> {
        let claimed =
            deliveries::claim_due(&self.pool, &self.owner, self.settings.batch_size, self.settings.lease.as_chrono())
                .await?;
        if claimed.is_empty() {
            return Ok(ExecutionOutcome::EmptyQueue);
        }
        let count = claimed.len();
        let results: Vec<anyhow::Result<()>> = futures_util::stream::iter(claimed)
            .map(|delivery| self.deliver(delivery))
            .buffer_unordered(self.settings.concurrency)
            .collect()
            .await;
        for err in results.into_iter().filter_map(Result::err) {
            // The claim stays leased and is rescued after it expires.
            tracing::error!(error = ?err, "failed to record a delivery outcome");
        }
        Ok(ExecutionOutcome::Processed(count))
    }

    /// Repeats `try_execute_batch` until `shutdown`; a batch in flight finishes first.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) {
        let poll = self.settings.poll_interval.as_std();
        let mut failures = 0u32;
        while !shutdown.is_cancelled() {
            let pause = match self.try_execute_batch().await {
                Ok(ExecutionOutcome::Processed(_)) => {
                    failures = 0;
                    continue;
                }
                Ok(ExecutionOutcome::EmptyQueue) => poll,
                Err(err) => {
                    failures += 1;
                    tracing::warn!(error = ?err, failures, "sender cannot reach the database; backing off");
                    poll * 2u32.saturating_pow(failures.min(5))
                }
            };
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                () = shutdown.cancelled() => {}
            }
        }
        tracing::info!("sender stopped");
    }

    #[tracing::instrument(skip_all, fields(delivery_id = delivery.id, attempt = delivery.attempt, kind = %delivery.kind))]
    async fn deliver(&self, delivery: Claimed) -> anyhow::Result<()> {
        let fence = Fence { id: delivery.id, attempt: delivery.attempt, owner: &self.owner };
        let email = match self.render(&delivery) {
            Ok(Some(email)) => email,
            Ok(None) => {
                deliveries::cancel_claimed(&self.pool, fence, "subscription no longer wants this mail").await?;
                return Ok(());
            }
            Err(err) => {
                tracing::error!(error = ?err, "delivery cannot be rendered; cancelling it");
                deliveries::cancel_claimed(&self.pool, fence, &format!("cannot render: {err:#}")).await?;
                return Ok(());
            }
        };
        let outcome = self.mailer.send(&email).await;
        self.record(fence, outcome).await
    }

    /// `None` when the subscription moved on since the row was queued
    /// (a confirmation for someone already active, a nudge for someone paused).
    fn render(&self, d: &Claimed) -> anyhow::Result<Option<OutgoingEmail>> {
        let status = d.subscriber_status.as_str();
        Ok(match d.kind()? {
            DeliveryKind::Confirm if status == "pending" => {
                Some(self.composer.confirmation(&d.email, d.subscriber_id, d.slot, &d.message_key))
            }
            DeliveryKind::Nudge if status == "active" => Some(self.render_nudge(d)?),
            DeliveryKind::Test => Some(self.render_nudge(d)?),
            DeliveryKind::Confirm | DeliveryKind::Nudge => None,
        })
    }

    fn render_nudge(&self, d: &Claimed) -> anyhow::Result<OutgoingEmail> {
        let track = Track::parse(d.track.as_deref().unwrap_or_default())?;
        let nudge = self.composer.nudge_text(track, d.variant.as_deref().unwrap_or_default());
        Ok(self.composer.nudge(&d.email, d.subscriber_id, d.id, nudge, d.slot, &d.message_key))
    }

    async fn record(&self, fence: Fence<'_>, outcome: SendOutcome) -> anyhow::Result<()> {
        let still_ours = match &outcome {
            SendOutcome::Sent { code, reply } => deliveries::mark_sent(&self.pool, fence, *code as i16, reply).await?,
            SendOutcome::Permanent { code, reason } => {
                tracing::warn!(code, reason, "permanent failure");
                deliveries::mark_failed(&self.pool, fence, Some(*code as i16), reason).await?
            }
            SendOutcome::Transient { code, reason } => {
                self.retry_or_give_up(fence, code.map(|c| c as i16), reason).await?
            }
            SendOutcome::Unknown { reason } => {
                tracing::warn!(reason, "outcome unknown; will retry with the same Message-ID");
                self.retry_or_give_up(fence, None, &format!("outcome unknown: {reason}")).await?
            }
        };
        if !still_ours {
            tracing::warn!(?outcome, "lease lost before the outcome was recorded; the newer claim decides");
        }
        Ok(())
    }

    async fn retry_or_give_up(&self, fence: Fence<'_>, code: Option<i16>, reason: &str) -> anyhow::Result<bool> {
        if fence.attempt >= self.settings.max_attempts {
            tracing::warn!(reason, "giving up after the last attempt");
            return deliveries::mark_failed(
                &self.pool,
                fence,
                code,
                &format!("gave up after {} attempts: {reason}", fence.attempt),
            )
            .await;
        }
        let delay = backoff(self.settings.retry_base.as_chrono(), fence.attempt);
        tracing::info!(reason, delay_s = delay.num_seconds(), "transient failure; retrying later");
        deliveries::retry_later(&self.pool, fence, delay, code, reason).await
    }
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
    fn backoff_doubles_and_is_capped() {
        let base = Duration::seconds(30);
        let first = backoff(base, 1);
        assert!(first >= base && first < base + Duration::seconds(7));
        let third = backoff(base, 3);
        assert!(third >= Duration::seconds(120) && third < Duration::seconds(145));
        assert!(backoff(base, 40) <= MAX_BACKOFF + MAX_BACKOFF / 5);
    }
}
