//! What an accepted message does, for each delivery its recipients name:
//!
//! - a DSN with a permanent (`5.x.x`) failure suppresses the address and
//!   cancels its queued mail; a transient one is counted;
//! - a feedback report that is a complaint unsubscribes at once;
//! - a reply to an `r-` address from the subscriber's own address, not
//!   automatic, is read (`domain::reply`) and recorded exactly as the
//!   button would be: nudges through [`crate::subscriptions::Answers`],
//!   promise mails through the promise flows, the first answer counting.
//!   An unclear reply records nothing and, at most once a day, brings one
//!   short mail with the buttons. Anything else is counted and dropped.
//!
//! Logs name deliveries, never addresses.

use crate::domain::bounce::BounceClass;
use crate::domain::reply::{ReplyWord, read_reply};
use crate::domain::{Action, AddressClaims, AddressKind, PromiseMail, Shape};
use crate::metrics::ReplyOutcome;
use crate::store;
use crate::store::inbound::MailedDelivery;
use crate::subscriptions::{self, promises as flows};

use super::Inbound;
use super::read::{self, Incoming, Reply};

impl Inbound {
    /// Acts on one message for each distinct delivery its recipients name.
    /// Every step is idempotent, so a message the MX sends again after a
    /// 451 changes nothing twice.
    pub(super) async fn act(&self, recipients: &[AddressClaims], raw: &[u8]) -> anyhow::Result<()> {
        let incoming = read::read(raw);
        let mut targets: Vec<(i64, AddressKind)> = recipients.iter().map(|c| (c.delivery_id, c.kind)).collect();
        targets.sort_by_key(|(id, kind)| (*id, *kind == AddressKind::Bounce));
        targets.dedup_by_key(|(id, _)| *id);
        for (delivery_id, kind) in targets {
            match &incoming {
                Incoming::Dsn(failure) => self.bounced(delivery_id, failure.as_ref()).await?,
                Incoming::Feedback { complaint } => self.complained(delivery_id, *complaint).await?,
                Incoming::Reply(reply) => {
                    let outcome = match kind {
                        AddressKind::Reply => self.replied(delivery_id, reply).await?,
                        AddressKind::Bounce => ReplyOutcome::Ignored,
                    };
                    self.parts.metrics.inbound.reply(outcome);
                    tracing::info!(delivery_id, outcome = outcome.label(), "a reply came in");
                }
            }
        }
        Ok(())
    }

    async fn bounced(&self, delivery_id: i64, failure: Option<&(BounceClass, String)>) -> anyhow::Result<()> {
        let Some((class, status)) = failure else {
            tracing::info!(delivery_id, "a DSN that reports no failure; nothing to do");
            return Ok(());
        };
        self.parts.metrics.inbound.bounce(*class);
        match class {
            BounceClass::Permanent => {
                let found = subscriptions::inbound::suppress_bounced(&self.parts.pool, delivery_id, status).await?;
                tracing::warn!(delivery_id, status, found, "a DSN reports a permanent failure; address suppressed");
            }
            BounceClass::Transient => tracing::info!(delivery_id, status, "a DSN reports a delay; counted"),
        }
        Ok(())
    }

    async fn complained(&self, delivery_id: i64, complaint: bool) -> anyhow::Result<()> {
        if !complaint {
            tracing::info!(delivery_id, "a feedback report that is no complaint; nothing to do");
            return Ok(());
        }
        self.parts.metrics.inbound.complaint();
        let Some(delivery) = store::inbound::delivery(&self.parts.pool, delivery_id).await? else { return Ok(()) };
        subscriptions::unsubscribe(&self.parts.pool, delivery.subscriber_id).await?;
        tracing::warn!(delivery_id, "a spam complaint; unsubscribed");
        Ok(())
    }

    async fn replied(&self, delivery_id: i64, reply: &Reply) -> anyhow::Result<ReplyOutcome> {
        if reply.auto {
            return Ok(ReplyOutcome::AutoReply);
        }
        let Some(delivery) = store::inbound::delivery(&self.parts.pool, delivery_id).await? else {
            return Ok(ReplyOutcome::Ignored);
        };
        if reply.from.as_deref() != Some(delivery.email.as_str().to_lowercase().as_str()) {
            return Ok(ReplyOutcome::ForeignSender);
        }
        let word = reply.text.as_deref().and_then(read_reply);
        let recorded = match (word, delivery.kind.shape()) {
            (Some(word), Shape::Nudge) => Some(self.answer_nudge(delivery_id, word).await?),
            (Some(word), Shape::Promise(which)) => self.answer_promise(&delivery, which, word).await?,
            (None, Shape::Nudge | Shape::Promise(_)) => None,
            (_, Shape::Plain(_) | Shape::WeeklySummary | Shape::AnswerAgain | Shape::Invitation) => {
                return Ok(ReplyOutcome::Ignored);
            }
        };
        match recorded {
            Some(outcome) => Ok(outcome),
            None if delivery.answered => Ok(ReplyOutcome::AlreadyAnswered),
            None => {
                subscriptions::inbound::ask_again(&self.parts.pool, delivery.subscriber_id, delivery.id).await?;
                Ok(ReplyOutcome::Unclear)
            }
        }
    }

    /// Through the same batcher as the button, so the same rules apply.
    async fn answer_nudge(&self, delivery_id: i64, word: ReplyWord) -> anyhow::Result<ReplyOutcome> {
        // The reply address's generation was checked when it arrived.
        Ok(match self.parts.answers.answer(delivery_id, word.action(), None).await? {
            Ok(outcome) if outcome.recorded_now => recorded(outcome.action),
            Ok(_) => ReplyOutcome::AlreadyAnswered,
            Err(subscriptions::Refused::Gone | subscriptions::Refused::Revoked) => ReplyOutcome::Ignored,
        })
    }

    /// Yes or no to the promise mail's question; `None` for other words.
    async fn answer_promise(
        &self,
        delivery: &MailedDelivery,
        which: PromiseMail,
        word: ReplyWord,
    ) -> anyhow::Result<Option<ReplyOutcome>> {
        let Some(promise_id) = delivery.promise_id else { return Ok(Some(ReplyOutcome::Ignored)) };
        let pool = &self.parts.pool;
        let answered = match which {
            PromiseMail::Check => match word.check_answer() {
                Some(answer) => flows::answer_check(pool, promise_id, answer).await?,
                None => return Ok(None),
            },
            PromiseMail::Review => match word.review_outcome() {
                Some(outcome) => flows::answer_review(pool, promise_id, outcome, self.parts.scheduling).await?,
                None => return Ok(None),
            },
        };
        Ok(Some(match answered {
            Some(answered) if answered.recorded_now => ReplyOutcome::Promise,
            Some(_) => ReplyOutcome::AlreadyAnswered,
            None => ReplyOutcome::Ignored,
        }))
    }
}

fn recorded(action: Action) -> ReplyOutcome {
    match action {
        Action::Done => ReplyOutcome::Done,
        Action::Partly => ReplyOutcome::Partly,
        Action::NotYet => ReplyOutcome::NotYet,
        Action::Snooze => ReplyOutcome::Snooze,
        Action::PauseTrack => ReplyOutcome::PauseTrack,
    }
}
