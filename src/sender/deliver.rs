//! One worker's part: take a claimed row, load and compose its mail, send
//! it, and hand a 2xx to the recorder; every other outcome is recorded here
//! (see [`super::outcome`]).

use std::sync::Arc;

use chrono::Duration;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use super::SenderParts;
use super::claimer::Queue;
use super::held::Held;
use super::recorder::{RecorderHandle, RecorderParts};
use crate::config::SenderSettings;
use crate::mail::{Composer, Mailer, OutgoingEmail, SendOutcome};
use crate::metrics::{DeliveryEvent, Metrics};
use crate::store::deliveries::{self, Claim, Claimed, Fence, SentRow};
use crate::store::mail_context::{self, Loaded};

pub use super::outcome::backoff;

/// What every worker shares: the connections, the composer, the counters.
#[derive(Clone)]
pub struct Worker {
    pub(super) pool: PgPool,
    mailer: Arc<Mailer>,
    composer: Arc<Composer>,
    pub(super) settings: SenderSettings,
    pub(super) stale_after: Duration,
    pub(super) metrics: Arc<Metrics>,
    pub(super) owner: String,
}

impl Worker {
    pub fn new(parts: SenderParts, owner: String) -> Self {
        let SenderParts { pool, mailer, composer, settings, stale_after, metrics } = parts;
        Self { pool, mailer, composer, settings, stale_after, metrics, owner }
    }

    pub fn recorder_parts(&self, held: &Held) -> RecorderParts {
        RecorderParts {
            pool: self.pool.clone(),
            owner: self.owner.clone(),
            metrics: self.metrics.clone(),
            held: held.clone(),
            batch: self.settings.record_batch,
            patience: self.settings.lease.as_std(),
        }
    }

    /// Takes rows from the queue until it is closed and empty. After
    /// `stop`, a row still taken is released, not sent.
    pub async fn work(&self, queue: &Queue, held: &Held, recorder: &RecorderHandle, stop: &CancellationToken) {
        while let Some(claim) = queue.next().await {
            self.settle(claim, held, recorder, stop.is_cancelled()).await;
        }
    }

    /// Settles one claim; with `release`, gives it back unstarted.
    pub async fn settle(&self, claim: Claim, held: &Held, recorder: &RecorderHandle, release: bool) {
        let id = claim.id();
        if !held.take(id) {
            // The lease keeper found the claim lost: another sender has it.
            self.metrics.count(DeliveryEvent::LostLease, 1);
            return;
        }
        let result = match (claim, release) {
            (claim, true) => self.release(claim).await,
            (Claim::Ready(delivery), false) => self.deliver(*delivery, recorder).await,
            (Claim::Unreadable { id, attempt, reason }, false) => {
                tracing::error!(delivery_id = id, reason, "claimed row cannot be read; cancelling it");
                self.cancel(Fence { id, attempt, owner: &self.owner }, &format!("cannot be read: {reason}")).await
            }
        };
        match result {
            // A 2xx is the recorder's to forget once it is written.
            Ok(Handed::ToRecorder) => {}
            Ok(Handed::Settled) => held.remove(id),
            Err(err) => {
                // The claim stays leased, no longer extended: the rescue job
                // returns it to the queue when the lease ends.
                tracing::error!(delivery_id = id, error = ?err, "failed to record a delivery outcome");
                held.remove(id);
            }
        }
    }

    #[tracing::instrument(skip_all, fields(delivery_id = delivery.id, attempt = delivery.attempt, kind = %delivery.kind))]
    async fn deliver(&self, delivery: Claimed, recorder: &RecorderHandle) -> anyhow::Result<Handed> {
        let fence = Fence { id: delivery.id, attempt: delivery.attempt, owner: &self.owner };
        if delivery.suppressed {
            self.cancel(fence, "address suppressed after a 5.1.x answer").await?;
            return Ok(Handed::Settled);
        }
        let email = match mail_context::load(&self.pool, &delivery).await {
            Ok(Loaded::Mail(mail)) => self.composer.compose(&mail),
            Ok(Loaded::NotWanted(reason) | Loaded::Broken(reason)) => {
                self.cancel(fence, reason).await?;
                return Ok(Handed::Settled);
            }
            Err(err) => {
                // A failure to read is no reason to drop the mail: retry it.
                let outcome = SendOutcome::Transient { code: None, reason: format!("cannot load the mail: {err:#}") };
                self.record_patiently(&delivery, fence, &outcome).await?;
                return Ok(Handed::Settled);
            }
        };
        match self.send(&email).await {
            SendOutcome::Sent { code, reply } => {
                let sent = SentRow { id: delivery.id, attempt: delivery.attempt, code: code as i16, reply };
                recorder.accepted(sent).await;
                Ok(Handed::ToRecorder)
            }
            outcome => {
                self.record_patiently(&delivery, fence, &outcome).await?;
                Ok(Handed::Settled)
            }
        }
    }

    /// Hands one email to the transport, timed and counted.
    async fn send(&self, email: &OutgoingEmail) -> SendOutcome {
        let started = std::time::Instant::now();
        let outcome = self.mailer.send(email).await;
        self.metrics.observe_send_latency(started.elapsed());
        self.metrics.count(super::outcome::event(&outcome), 1);
        outcome
    }

    async fn release(&self, claim: Claim) -> anyhow::Result<Handed> {
        let fence = Fence { id: claim.id(), attempt: claim.attempt(), owner: &self.owner };
        if deliveries::release_claimed(&self.pool, fence).await? {
            self.metrics.count(DeliveryEvent::Released, 1);
        }
        Ok(Handed::Settled)
    }

    pub(super) async fn cancel(&self, fence: Fence<'_>, reason: &str) -> anyhow::Result<Handed> {
        if deliveries::cancel_claimed(&self.pool, fence, reason).await? {
            self.metrics.count(DeliveryEvent::Cancelled, 1);
        }
        Ok(Handed::Settled)
    }
}

/// Where a claim went after its worker was done with it.
pub(super) enum Handed {
    /// Recorded (or released, or cancelled): nothing more to hold.
    Settled,
    /// Accepted by the relay; the recorder writes it and lets it go.
    ToRecorder,
}
