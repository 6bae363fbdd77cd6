//! One worker's share of the planning sweep: its id range, in batches of
//! `schedule.plan_batch` subscribers, each batch one transaction of two
//! statements (`store::planning`): lock and read, then queue and move on.
//! Between them the pure rule in `domain::schedule` decides and the catalog
//! picks each nudge's text (least recently seen).

use std::collections::HashMap;

use anyhow::Context;
use chrono::{DateTime, Utc};

use super::{IdRange, Planner};
use crate::domain::schedule::{Decision, DueTrack, PlanLimits, plan_due_tracks};
use crate::store;
use crate::store::planning::{DueBatch, DueSubscriber, DueTrackState, PlannedNudge, PlannedTrack};

impl Planner {
    /// Plans every due track in `range`; returns (subscribers, nudges queued).
    /// Every decision moves a track's next slot into the future and the id
    /// cursor only moves forward, so the walk ends.
    #[tracing::instrument(name = "planning worker", skip_all, fields(after = range.after, upto = range.upto))]
    pub(super) async fn sweep_range(&self, range: IdRange) -> anyhow::Result<(usize, u64)> {
        let (mut after, mut subscribers, mut queued) = (range.after, 0, 0);
        while let Some((last_id, planned, batch_queued)) = self.plan_batch(after, range.upto).await? {
            after = last_id;
            subscribers += planned;
            queued += batch_queued;
        }
        Ok((subscribers, queued))
    }

    async fn plan_batch(&self, after: i64, upto: i64) -> anyhow::Result<Option<(i64, usize, u64)>> {
        let mut tx = self.pool.begin().await.context("failed to start a planning transaction")?;
        let batch = store::planning::lock_due_batch(&mut tx, after, upto, self.batch).await?;
        let Some(last_id) = batch.subscribers.last().map(|s| s.id) else {
            return Ok(None);
        };
        let written = store::planning::write_planned(&mut tx, &self.decide(&batch)).await?;
        tx.commit().await.context("failed to commit a planning batch")?;
        Ok(Some((last_id, written.subscribers, written.nudges)))
    }

    fn decide(&self, batch: &DueBatch) -> Vec<PlannedTrack> {
        let mut planned = Vec::with_capacity(batch.subscribers.len() * 3);
        for subscriber in &batch.subscribers {
            let slots = self.scheduling.slots_for(subscriber.id, subscriber.zone, subscriber.time);
            let limits = PlanLimits { max_per_day: subscriber.max_per_day, stale_after: self.stale_after };
            let candidates = subscriber
                .tracks
                .iter()
                .map(|s| DueTrack { track: s.track, due_at: s.due_at, interval_days: s.interval_days })
                .collect();
            for decision in plan_due_tracks(&slots, limits, &subscriber.planned, candidates, batch.now) {
                let state = subscriber.tracks.iter().find(|s| s.track == decision.track());
                let state = state.expect("decided tracks come from the due ones");
                let nudge = match decision {
                    Decision::Send { slot, .. } => {
                        Some(PlannedNudge { variant: self.pick_variant(subscriber, state), slot })
                    }
                    Decision::MoveOn { .. } | Decision::Stale { .. } => None,
                };
                planned.push(PlannedTrack {
                    subscriber_id: subscriber.id,
                    track: state.track,
                    due_at: state.due_at,
                    next_due_at: decision.next_due(),
                    nudge,
                });
            }
        }
        planned
    }

    /// A snoozed nudge repeats itself; otherwise the least recently seen text,
    /// in the subscriber's own language's rotation.
    fn pick_variant(&self, subscriber: &DueSubscriber, state: &DueTrackState) -> String {
        if let Some(repeat) = &state.repeat_variant {
            return repeat.clone();
        }
        let seen: HashMap<&str, DateTime<Utc>> = state.seen.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        let last = state.last_variant.as_deref();
        self.catalog.least_recent_variant(&subscriber.locale, state.track, &seen, last).variant.clone()
    }
}
