//! The planner: turns due tracks into queued nudges.
//!
//! One sweep walks the active subscribers that have a due track, in batches,
//! each batch one transaction: lock the subscribers (`skip locked`, so several
//! instances share the sweep), decide with the pure rule in
//! `domain::schedule`, then write the nudges and the new schedules together.
//! A repeated or concurrent sweep cannot plan a nudge twice: the outbox's
//! unique key on (subscriber, kind, track, slot) refuses it.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;

use crate::domain::schedule::{Decision, DueTrack, PlanLimits, plan_due_tracks};
use crate::mail::Catalog;
use crate::store::{self, deliveries::NewNudge, subscribers::Subscriber, tracks::PlannedTrack, tracks::TrackState};
use crate::subscriptions::Scheduling;

#[derive(Clone)]
pub struct Planner {
    pool: PgPool,
    catalog: Arc<Catalog>,
    scheduling: Scheduling,
    stale_after: Duration,
    batch: i64,
}

/// What one sweep did, for logs and tests.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepReport {
    pub subscribers: usize,
    pub nudges_queued: u64,
}

impl Planner {
    pub fn new(pool: PgPool, catalog: Arc<Catalog>, scheduling: Scheduling, stale_after: Duration, batch: i64) -> Self {
        Self { pool, catalog, scheduling, stale_after, batch }
    }

    /// Plans everything due now. Every decision moves a track's next slot into
    /// the future, and the id cursor only moves forward, so a sweep ends.
    #[tracing::instrument(name = "planning sweep", skip_all)]
    pub async fn plan_due(&self) -> anyhow::Result<SweepReport> {
        let mut report = SweepReport::default();
        let mut after = 0;
        while let Some((last_id, batch)) = self.plan_batch(after).await? {
            after = last_id;
            report.subscribers += batch.subscribers;
            report.nudges_queued += batch.nudges_queued;
        }
        if report.subscribers > 0 {
            tracing::info!(subscribers = report.subscribers, nudges = report.nudges_queued, "planned due nudges");
        }
        Ok(report)
    }

    async fn plan_batch(&self, after: i64) -> anyhow::Result<Option<(i64, SweepReport)>> {
        let mut tx = self.pool.begin().await.context("failed to start a planning transaction")?;
        let now = store::now(&mut tx).await?;
        let ids = store::tracks::lock_subscribers_with_due_tracks(&mut tx, now, after, self.batch).await?;
        let Some(&last_id) = ids.last() else {
            return Ok(None);
        };
        let subscribers = store::subscribers::get_many(&mut *tx, &ids).await?;
        let due = group_by_subscriber(store::tracks::due_tracks(&mut tx, &ids, now).await?);
        let planned =
            group_by_subscriber(store::deliveries::recent_nudge_slots(&mut tx, &ids, now - Duration::days(2)).await?);
        let (nudges, schedules) = self.decide(&subscribers, due, planned, now);
        let queued = store::deliveries::insert_nudges(&mut tx, &nudges).await?;
        store::tracks::apply_planned(&mut tx, &schedules).await?;
        tx.commit().await.context("failed to commit a planning batch")?;
        Ok(Some((last_id, SweepReport { subscribers: ids.len(), nudges_queued: queued })))
    }

    fn decide(
        &self,
        subscribers: &[Subscriber],
        mut due: HashMap<i64, Vec<TrackState>>,
        planned: HashMap<i64, Vec<DateTime<Utc>>>,
        now: DateTime<Utc>,
    ) -> (Vec<NewNudge>, Vec<PlannedTrack>) {
        let mut nudges = Vec::new();
        let mut schedules = Vec::new();
        for subscriber in subscribers {
            let states = due.remove(&subscriber.id).unwrap_or_default();
            let candidates = states
                .iter()
                .filter_map(|s| {
                    Some(DueTrack { track: s.track, due_at: s.next_due_at?, interval_days: s.interval_days })
                })
                .collect();
            let limits = PlanLimits { max_per_day: subscriber.max_per_day, stale_after: self.stale_after };
            let already = planned.get(&subscriber.id).map_or(&[][..], Vec::as_slice);
            for decision in plan_due_tracks(&self.scheduling.slots(subscriber), limits, already, candidates, now) {
                let state =
                    states.iter().find(|s| s.track == decision.track()).expect("decided tracks come from states");
                let sent_variant = match decision {
                    Decision::Send { track, slot, .. } => {
                        let variant = state.repeat_variant.clone().unwrap_or_else(|| {
                            self.catalog.next_variant(track, state.last_variant.as_deref()).variant.clone()
                        });
                        nudges.push(NewNudge { subscriber_id: subscriber.id, track, variant: variant.clone(), slot });
                        Some(variant)
                    }
                    Decision::MoveOn { .. } | Decision::Stale { .. } => None,
                };
                schedules.push(PlannedTrack {
                    subscriber_id: subscriber.id,
                    track: decision.track(),
                    next_due_at: decision.next_due(),
                    sent_variant,
                });
            }
        }
        (nudges, schedules)
    }
}

trait BySubscriber {
    type Item;
    fn subscriber_id(&self) -> i64;
    fn into_item(self) -> Self::Item;
}

impl BySubscriber for TrackState {
    type Item = TrackState;
    fn subscriber_id(&self) -> i64 {
        self.subscriber_id
    }
    fn into_item(self) -> TrackState {
        self
    }
}

impl BySubscriber for (i64, DateTime<Utc>) {
    type Item = DateTime<Utc>;
    fn subscriber_id(&self) -> i64 {
        self.0
    }
    fn into_item(self) -> DateTime<Utc> {
        self.1
    }
}

fn group_by_subscriber<T: BySubscriber>(rows: Vec<T>) -> HashMap<i64, Vec<T::Item>> {
    let mut groups: HashMap<i64, Vec<T::Item>> = HashMap::new();
    for row in rows {
        groups.entry(row.subscriber_id()).or_default().push(row.into_item());
    }
    groups
}
