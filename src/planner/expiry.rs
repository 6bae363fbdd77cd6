//! The expiry sweep: a sent nudge still unanswered when its window closes
//! (`answer_by`, the moment its track would next be due) counts as a miss.
//! The engine records the miss on the track; the subscriber's misses in a
//! row grow, and at the threshold tend goes quiet: status `resting`, queued
//! nudges cancelled, and one "shall we keep going?" mail, all in the same
//! transaction as the miss that caused it.

use anyhow::Context;

use super::{Planner, SweepReport};
use crate::domain::engine::{self, Event};
use crate::domain::{DeliveryKind, SubscriberStatus};
use crate::store;
use crate::store::deliveries::NewMail;

impl Planner {
    pub(super) async fn expire_unanswered(&self) -> anyhow::Result<SweepReport> {
        let mut report = SweepReport::default();
        loop {
            let mut tx = self.pool.begin().await.context("failed to start an expiry transaction")?;
            let now = store::now(&mut tx).await?;
            let expired = store::nudges::expire_unanswered(&mut tx, now, self.batch).await?;
            if expired.is_empty() {
                return Ok(report);
            }
            report.expired += expired.len();
            for nudge in expired {
                let Some(subscriber) = store::subscribers::lock(&mut tx, nudge.subscriber_id).await? else { continue };
                let track = nudge.track;
                if let Some(state) = store::tracks::lock_one(&mut tx, subscriber.id, track).await? {
                    let slots = subscriber.slots(&self.scheduling);
                    let step = engine::step(track, &state.engine, Event::Expired, nudge.slot, now, &slots);
                    // The track keeps the slot planned with the nudge unless it was moved
                    // since; a subscriber who is not active stays unscheduled.
                    let next_due = (subscriber.status == SubscriberStatus::Active)
                        .then(|| state.next_due_at.unwrap_or(step.next_due));
                    store::tracks::save_engine_step(&mut tx, subscriber.id, track, &step.state, next_due, None).await?;
                }
                let misses = store::subscribers::add_miss(&mut tx, subscriber.id).await?;
                if subscriber.status == SubscriberStatus::Active && engine::should_rest(misses) {
                    store::subscribers::set_status(&mut tx, subscriber.id, SubscriberStatus::Resting).await?;
                    store::tracks::clear_schedule(&mut tx, subscriber.id).await?;
                    store::deliveries::cancel_pending(&mut tx, subscriber.id).await?;
                    store::deliveries::queue_mail(&mut tx, NewMail::at(subscriber.id, DeliveryKind::KeepGoing, now))
                        .await?;
                    report.resting += 1;
                }
            }
            tx.commit().await.context("failed to commit an expiry batch")?;
        }
    }
}
