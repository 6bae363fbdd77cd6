//! Recording every outcome but a 2xx, from the worker that saw it:
//! permanent failures (with address suppression for 5.1.x), retries with
//! backoff, and outcomes whose reply was lost.
//!
//! - permanent (5xx): failed with code and text; a 5.1.x status also
//!   suppresses the address and cancels its other queued mail;
//! - transient: retried with exponential backoff and jitter. Only answers
//!   from the relay (4xx) use up `sender.max_attempts`; a relay that cannot
//!   be reached, or a mail that could not be loaded, never turns into a
//!   permanent failure, and a nudge whose retry would be later than
//!   `stale_after` after its slot waits for the same time on a later day;
//! - unknown (reply lost after the end of data): retried with the same
//!   Message-ID, counted on the row and in the metrics.

use anyhow::Context;
use chrono::Duration;
use rand::Rng;

use super::deliver::Worker;
use crate::mail::SendOutcome;
use crate::metrics::DeliveryEvent;
use crate::store::deliveries::{self, Claimed, Fence, Retry};

/// How often an outcome that could not be written is tried again.
const RECORD_RETRY: std::time::Duration = std::time::Duration::from_millis(500);

/// The longest a retry waits, however many attempts came before.
const MAX_BACKOFF: Duration = Duration::hours(6);

impl Worker {
    /// Records the outcome, retrying while the database is unreachable for
    /// up to one lease: the write is fenced, so it still lands if nobody
    /// took the claim meanwhile.
    pub(super) async fn record_patiently(
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
            // An invitation's address is not its subscriber's (the inviter's):
            // their own mail goes on.
            if delivery.invitation_id.is_none() {
                deliveries::cancel_pending(&mut tx, delivery.to.subscriber_id).await?;
            }
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

pub(super) fn event(outcome: &SendOutcome) -> DeliveryEvent {
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
