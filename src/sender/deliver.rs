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
use crate::mail::{Composer, Mailer, Opened, Prepared, SendOutcome, Then};
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
            wait: self.settings.record_wait.as_std(),
        }
    }

    /// Takes rows from the queue until it is closed and empty. Before a
    /// mail goes out, the next queued row's mail is built, so that its
    /// envelope can leave with this one's end of data and the relay's
    /// replies to both come back together (see `mail::smtp`). After `stop`,
    /// a row taken is released, not sent; the send on the wire finishes.
    pub async fn work(&self, queue: &Queue, held: &Held, recorder: &RecorderHandle, stop: &CancellationToken) {
        let mut in_hand: Option<InHand> = None;
        loop {
            let next = match in_hand.take() {
                Some(in_hand) => in_hand,
                None => match self.next_ready(queue, held, stop).await {
                    Some(ready) => InHand { ready, opened: None },
                    None => return,
                },
            };
            if stop.is_cancelled() {
                // Its envelope may have been accepted (`opened`): dropping
                // that session ends the transaction before any data, so the
                // relay has nothing, and shutdown waits for one send at most.
                let d = &next.ready.delivery;
                self.conclude(d.id, self.release(self.fence(d.id, d.attempt)).await, held);
                continue;
            }
            let following = self.ready_now(queue, held, stop).await;
            let next_message = following.as_ref().map(|f| &f.message);
            let then = self.send_ready(next.ready, next.opened, next_message, held, recorder).await;
            in_hand = self.follow(following, then, held, recorder).await;
        }
    }

    /// What the worker holds after a send: the following mail, on the
    /// session that accepted its envelope when it was chained; nothing when
    /// there was none or the relay refused its envelope (settled here).
    async fn follow(
        &self,
        following: Option<Ready>,
        then: Then,
        held: &Held,
        recorder: &RecorderHandle,
    ) -> Option<InHand> {
        let ready = following?;
        match then {
            Then::Opened(opened) => Some(InHand { ready, opened: Some(opened) }),
            Then::Alone => Some(InHand { ready, opened: None }),
            Then::Refused(outcome) => {
                self.settle_and_forget(ready.delivery, outcome, held, recorder).await;
                None
            }
        }
    }

    /// The next queued row whose mail is built and ready to send; rows that
    /// settle without a send on the way (cancelled, retried, released) are
    /// settled here.
    async fn next_ready(&self, queue: &Queue, held: &Held, stop: &CancellationToken) -> Option<Ready> {
        loop {
            let claim = queue.next().await?;
            if let Some(ready) = self.begin(claim, held, stop.is_cancelled()).await {
                return Some(ready);
            }
        }
    }

    /// As [`Self::next_ready`], but only from rows queued right now.
    async fn ready_now(&self, queue: &Queue, held: &Held, stop: &CancellationToken) -> Option<Ready> {
        loop {
            let claim = queue.try_next()?;
            if let Some(ready) = self.begin(claim, held, stop.is_cancelled()).await {
                return Some(ready);
            }
        }
    }

    /// Settles one claim; with `release`, gives it back unstarted.
    pub async fn settle(&self, claim: Claim, held: &Held, recorder: &RecorderHandle, release: bool) {
        if let Some(ready) = self.begin(claim, held, release).await {
            self.send_ready(ready, None, None, held, recorder).await;
        }
    }

    /// Takes a claim and builds its mail. `None` when the claim is settled
    /// without a send: lost, released, cancelled, or retried because its
    /// mail could not be loaded.
    async fn begin(&self, claim: Claim, held: &Held, release: bool) -> Option<Ready> {
        let id = claim.id();
        if !held.take(id) {
            // The lease keeper found the claim lost: another sender has it.
            self.metrics.count(DeliveryEvent::LostLease, 1);
            return None;
        }
        let result = match (claim, release) {
            (claim, true) => self.release(self.fence(id, claim.attempt())).await,
            (Claim::Ready(delivery), false) => match self.prepare(*delivery).await {
                Ok(Some(ready)) => return Some(ready),
                Ok(None) => Ok(Handed::Settled),
                Err(err) => Err(err),
            },
            (Claim::Unreadable { id, attempt, reason }, false) => {
                tracing::error!(delivery_id = id, reason, "claimed row cannot be read; cancelling it");
                self.cancel(self.fence(id, attempt), &format!("cannot be read: {reason}")).await
            }
        };
        self.conclude(id, result, held);
        None
    }

    /// Sends a built mail (on `opened` when its envelope is accepted there,
    /// with `next`'s envelope when it may ride along) and records the
    /// outcome; what became of `next`'s envelope is for the caller.
    async fn send_ready(
        &self,
        ready: Ready,
        opened: Option<Opened>,
        next: Option<&Prepared>,
        held: &Held,
        recorder: &RecorderHandle,
    ) -> Then {
        let Ready { delivery, message } = ready;
        let (outcome, then) = self.send(&message, opened, next).await;
        self.settle_and_forget(delivery, outcome, held, recorder).await;
        then
    }

    /// Records a send's outcome and lets go of its claim.
    async fn settle_and_forget(&self, delivery: Claimed, outcome: SendOutcome, held: &Held, recorder: &RecorderHandle) {
        let id = delivery.id;
        let result = self.settle_outcome(delivery, outcome, recorder).await;
        self.conclude(id, result, held);
    }

    /// Forgets a claim once its outcome is written, or once writing it failed.
    fn conclude(&self, id: i64, result: anyhow::Result<Handed>, held: &Held) {
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

    /// Loads, composes and builds a claimed delivery's mail; a delivery
    /// that will not be sent is settled here (`None`).
    #[tracing::instrument(skip_all, fields(delivery_id = delivery.id, attempt = delivery.attempt, kind = %delivery.kind))]
    async fn prepare(&self, delivery: Claimed) -> anyhow::Result<Option<Ready>> {
        let fence = self.fence(delivery.id, delivery.attempt);
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
        match self.mailer.prepare(&email) {
            Ok(message) => Ok(Some(Ready { delivery, message })),
            Err(outcome) => {
                self.metrics.count(super::outcome::event(&outcome), 1);
                self.record_patiently(&delivery, fence, &outcome).await?;
                Ok(None)
            }
        }
    }

    /// Hands a 2xx to the recorder and records any other outcome.
    #[tracing::instrument(skip_all, fields(delivery_id = delivery.id, attempt = delivery.attempt))]
    async fn settle_outcome(
        &self,
        delivery: Claimed,
        outcome: SendOutcome,
        recorder: &RecorderHandle,
    ) -> anyhow::Result<Handed> {
        self.metrics.count(super::outcome::event(&outcome), 1);
        match outcome {
            SendOutcome::Sent { code, reply } => {
                let sent = SentRow { id: delivery.id, attempt: delivery.attempt, code: code as i16, reply };
                recorder.accepted(sent).await;
                Ok(Handed::ToRecorder)
            }
            outcome => {
                self.record_patiently(&delivery, self.fence(delivery.id, delivery.attempt), &outcome).await?;
                Ok(Handed::Settled)
            }
        }
    }

    /// Hands one email to the transport, timed.
    async fn send(&self, message: &Prepared, opened: Option<Opened>, next: Option<&Prepared>) -> (SendOutcome, Then) {
        let started = std::time::Instant::now();
        let sent = message.send_then(opened, next).await;
        self.metrics.observe_send_latency(started.elapsed());
        sent
    }

    /// The fence of this sender's claim on (`id`, `attempt`).
    fn fence(&self, id: i64, attempt: i32) -> Fence<'_> {
        Fence { id, attempt, owner: &self.owner }
    }

    /// Gives a claim back unsent (shutdown): unstarted, or its mail built.
    async fn release(&self, fence: Fence<'_>) -> anyhow::Result<Handed> {
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

/// A claimed delivery with its mail built, ready to send.
pub(super) struct Ready {
    delivery: Claimed,
    message: Prepared,
}

/// A worker's next mail, and the session waiting for its data when its
/// envelope went out behind the previous mail's end of data.
struct InHand {
    ready: Ready,
    opened: Option<Opened>,
}

/// Where a claim went after its worker was done with it.
pub(super) enum Handed {
    /// Recorded (or released, or cancelled): nothing more to hold.
    Settled,
    /// Accepted by the relay; the recorder writes it and lets it go.
    ToRecorder,
}
