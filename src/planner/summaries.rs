//! Weekly summaries: for each active subscriber who switched them on, one
//! summary mail per week at their preferred time on Sunday. The planning key
//! makes each week's mail unique, and a week missed while the service was
//! down is skipped rather than sent late.

use anyhow::Context;
use chrono::{Duration, Weekday};

use super::Planner;
use crate::domain::DeliveryKind;
use crate::store;
use crate::store::deliveries::NewMail;

impl Planner {
    pub(super) async fn plan_weekly_summaries(&self) -> anyhow::Result<u64> {
        let mut queued = 0;
        loop {
            let mut tx = self.pool.begin().await.context("failed to start a summary transaction")?;
            let now = store::now(&mut tx).await?;
            let due = store::subscribers::lock_due_summaries(&mut tx, now, self.batch).await?;
            if due.is_empty() {
                return Ok(queued);
            }
            let ids: Vec<i64> = due.iter().map(|(id, _)| *id).collect();
            let subscribers = store::subscribers::get_many(&mut *tx, &ids).await?;
            for (id, slot) in due {
                let Some(subscriber) = subscribers.iter().find(|s| s.id == id) else { continue };
                let slots = subscriber.slots(&self.scheduling);
                if now - slot <= self.stale_after {
                    let mail = NewMail::at(id, DeliveryKind::WeeklySummary, slot);
                    queued += u64::from(store::deliveries::queue_mail(&mut tx, mail).await?.is_some());
                }
                let next = slots.on(slots.local_date(slot) + Duration::days(7));
                let next = if next > now { next } else { slots.first_on_weekday_after(Weekday::Sun, now) };
                store::subscribers::set_next_summary(&mut tx, id, next).await?;
            }
            tx.commit().await.context("failed to commit weekly summaries")?;
        }
    }
}
