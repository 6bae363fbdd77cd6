//! The planner: expires unanswered nudges, then turns due tracks into queued
//! nudges. Both run on the scheduler's planning tick.
//!
//! Planning walks the active subscribers that have a due track, in batches,
//! each batch one transaction: lock the subscribers (`skip locked`, so several
//! instances share the sweep), decide with the pure rule in
//! `domain::schedule`, pick each nudge's text (least recently seen), then
//! write the nudges and the new schedules together. A repeated or concurrent
//! sweep cannot plan a nudge twice: the outbox's unique key on
//! (subscriber, kind, track, slot) refuses it. Expiry lives in `expiry`.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;

use crate::domain::schedule::{Decision, DueTrack, PlanLimits, plan_due_tracks};
use crate::domain::{Locale, Scheduling};
use crate::mail::Catalog;
use crate::metrics::{Metrics, PlanningEvent};
use crate::store::nudges::{NewNudge, VariantSeen};
use crate::store::{self, subscribers::Subscriber, tracks::PlannedTrack, tracks::TrackState};

mod expiry;
mod signals;
pub mod summaries;

#[derive(Clone)]
pub struct Planner {
    pool: PgPool,
    catalog: Arc<Catalog>,
    scheduling: Scheduling,
    stale_after: Duration,
    batch: i64,
    metrics: Arc<Metrics>,
}

/// What a planner is built from.
pub struct PlannerParts {
    pub pool: PgPool,
    /// Variant rotation walks its texts.
    pub catalog: Arc<Catalog>,
    pub scheduling: Scheduling,
    /// A slot this far in the past is skipped, not sent late.
    pub stale_after: Duration,
    /// Subscribers per planning transaction (`schedule.plan_batch`).
    pub batch: i64,
    pub metrics: Arc<Metrics>,
}

/// What one sweep did, for logs and tests.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepReport {
    pub expired: usize,
    pub resting: usize,
    pub subscribers: usize,
    pub nudges_queued: u64,
    pub summaries_queued: u64,
}

/// What a batch knows about its subscribers before deciding.
struct BatchInput {
    due: HashMap<i64, Vec<TrackState>>,
    planned: HashMap<i64, Vec<DateTime<Utc>>>,
    seen: HashMap<(i64, String), HashMap<String, DateTime<Utc>>>,
}

impl Planner {
    pub fn new(parts: PlannerParts) -> Self {
        let PlannerParts { pool, catalog, scheduling, stale_after, batch, metrics } = parts;
        Self { pool, catalog, scheduling, stale_after, batch, metrics }
    }

    /// One planning tick: expire what went unanswered, then plan what is due.
    /// Every decision moves a track's next slot into the future and the id
    /// cursor only moves forward, so a sweep ends.
    #[tracing::instrument(name = "planning sweep", skip_all)]
    pub async fn plan_due(&self) -> anyhow::Result<SweepReport> {
        let mut report = self.expire_unanswered().await?;
        report.summaries_queued = self.plan_weekly_summaries().await?;
        let mut after = 0;
        while let Some((last_id, subscribers, queued)) = self.plan_batch(after).await? {
            after = last_id;
            report.subscribers += subscribers;
            report.nudges_queued += queued;
        }
        if report != SweepReport::default() {
            tracing::info!(?report, "planning sweep done");
        }
        self.count(&report);
        Ok(report)
    }

    fn count(&self, report: &SweepReport) {
        self.metrics.count_planning(PlanningEvent::Nudges, report.nudges_queued);
        self.metrics.count_planning(PlanningEvent::Summaries, report.summaries_queued);
        self.metrics.count_planning(PlanningEvent::Expired, report.expired as u64);
        self.metrics.count_planning(PlanningEvent::Resting, report.resting as u64);
    }

    async fn plan_batch(&self, after: i64) -> anyhow::Result<Option<(i64, usize, u64)>> {
        let mut tx = self.pool.begin().await.context("failed to start a planning transaction")?;
        let now = store::now(&mut tx).await?;
        let ids = store::tracks::lock_subscribers_with_due_tracks(&mut tx, now, after, self.batch).await?;
        let Some(&last_id) = ids.last() else {
            return Ok(None);
        };
        let subscribers = store::subscribers::get_many(&mut *tx, &ids).await?;
        let input = BatchInput {
            due: group(store::tracks::due_tracks(&mut tx, &ids, now).await?, |t| (t.subscriber_id, t)),
            planned: group(store::nudges::recent_slots(&mut tx, &ids, now - Duration::days(2)).await?, |r| r),
            seen: seen_by_track(store::nudges::variant_history(&mut tx, &ids).await?),
        };
        let (nudges, schedules) = self.decide(&subscribers, input, now);
        let queued = store::nudges::insert(&mut tx, &nudges).await?;
        store::tracks::apply_planned(&mut tx, &schedules).await?;
        tx.commit().await.context("failed to commit a planning batch")?;
        Ok(Some((last_id, ids.len(), queued)))
    }

    fn decide(
        &self,
        subscribers: &[Subscriber],
        mut input: BatchInput,
        now: DateTime<Utc>,
    ) -> (Vec<NewNudge>, Vec<PlannedTrack>) {
        let mut nudges = Vec::new();
        let mut schedules = Vec::new();
        for subscriber in subscribers {
            let states = input.due.remove(&subscriber.id).unwrap_or_default();
            let candidates = states
                .iter()
                .filter_map(|s| {
                    Some(DueTrack { track: s.track, due_at: s.next_due_at?, interval_days: s.interval_days })
                })
                .collect();
            let limits = PlanLimits { max_per_day: subscriber.max_per_day, stale_after: self.stale_after };
            let already = input.planned.get(&subscriber.id).map_or(&[][..], Vec::as_slice);
            for decision in plan_due_tracks(&subscriber.slots(&self.scheduling), limits, already, candidates, now) {
                let state =
                    states.iter().find(|s| s.track == decision.track()).expect("decided tracks come from states");
                let sent_variant = match decision {
                    Decision::Send { track, slot, next_due } => {
                        let seen = input.seen.get(&(subscriber.id, track.key().to_owned()));
                        let variant = self.pick_variant(&subscriber.locale, state, seen);
                        nudges.push(NewNudge {
                            subscriber_id: subscriber.id,
                            track,
                            variant: variant.clone(),
                            slot,
                            answer_by: next_due,
                        });
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

    /// A snoozed nudge repeats itself; otherwise the least recently seen text.
    /// In the subscriber's own language's rotation.
    fn pick_variant(
        &self,
        locale: &Locale,
        state: &TrackState,
        seen: Option<&HashMap<String, DateTime<Utc>>>,
    ) -> String {
        if let Some(repeat) = &state.repeat_variant {
            return repeat.clone();
        }
        let seen: HashMap<&str, DateTime<Utc>> =
            seen.map(|m| m.iter().map(|(k, v)| (k.as_str(), *v)).collect()).unwrap_or_default();
        self.catalog.least_recent_variant(locale, state.track, &seen, state.last_variant.as_deref()).variant.clone()
    }
}

fn group<R, T>(rows: Vec<R>, split: impl Fn(R) -> (i64, T)) -> HashMap<i64, Vec<T>> {
    let mut groups: HashMap<i64, Vec<T>> = HashMap::new();
    for row in rows {
        let (id, item) = split(row);
        groups.entry(id).or_default().push(item);
    }
    groups
}

fn seen_by_track(rows: Vec<VariantSeen>) -> HashMap<(i64, String), HashMap<String, DateTime<Utc>>> {
    let mut seen: HashMap<(i64, String), HashMap<String, DateTime<Utc>>> = HashMap::new();
    for row in rows {
        seen.entry((row.subscriber_id, row.track)).or_default().insert(row.variant, row.last_slot);
    }
    seen
}
