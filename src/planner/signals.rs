//! The weekly shared signal: for each partner link whose two sides both
//! switched it on and both answered at least one nudge in the last whole
//! week (`domain::partner::last_full_week`, UTC), one "you both showed up"
//! mail to each side, at their own usual time. A week's planning key
//! (`shared_signal_weeks`) makes the job idempotent: run it every hour, on
//! any number of instances, and each week's signal is queued once.

use anyhow::Context;

use super::Planner;
use crate::domain::DeliveryKind;
use crate::domain::partner::last_full_week;
use crate::store;
use crate::store::deliveries::NewMail;

impl Planner {
    /// Queues the last whole week's shared signals; the number of mails queued.
    #[tracing::instrument(name = "shared signals", skip_all)]
    pub async fn plan_shared_signals(&self) -> anyhow::Result<u64> {
        let mut tx = self.pool.begin().await.context("failed to start a shared signal transaction")?;
        let now = store::now(&mut tx).await?;
        let (from, until) = last_full_week(now);
        let links = store::partners::both_showed_up(&mut tx, from, until).await?;
        let mut queued = 0;
        for (link_id, sides) in links {
            if !store::partners::claim_week(&mut tx, link_id, from).await? {
                continue;
            }
            for subscriber in store::subscribers::get_many(&mut *tx, &sides).await? {
                let slot = subscriber.slots(&self.scheduling).first_after(now);
                let mail = NewMail::at(subscriber.id, DeliveryKind::SharedSignal, slot);
                queued += u64::from(store::deliveries::queue_mail(&mut tx, mail).await?.is_some());
            }
        }
        tx.commit().await.context("failed to commit shared signals")?;
        Ok(queued)
    }
}
