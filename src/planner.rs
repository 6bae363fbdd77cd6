//! The planner: expires unanswered nudges, then turns due tracks into queued
//! nudges. Both run on the scheduler's planning tick.
//!
//! Planning splits the subscriber ids into `schedule.plan_workers` disjoint
//! ranges, one worker (and one connection) each; a worker walks its range in
//! batches, each batch one transaction of two statements (`sweep`). Locked
//! subscribers are skipped, so several instances share the sweep. A repeated
//! or concurrent sweep cannot plan a nudge twice: the outbox's unique key on
//! (subscriber, kind, track, slot) refuses it. Expiry lives in `expiry`.

use std::sync::Arc;

use anyhow::Context;
use chrono::Duration;
use sqlx::PgPool;
use tokio::task::JoinSet;

use crate::domain::Scheduling;
use crate::mail::Catalog;
use crate::metrics::{Metrics, PlanningEvent};
use crate::store;

mod expiry;
mod ranges;
mod signals;
pub mod summaries;
mod sweep;

pub use ranges::{IdRange, split_ids};

#[derive(Clone)]
pub struct Planner {
    pool: PgPool,
    catalog: Arc<Catalog>,
    scheduling: Scheduling,
    stale_after: Duration,
    batch: i64,
    workers: usize,
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
    /// Id ranges planned at once, one connection each (`schedule.plan_workers`).
    pub workers: usize,
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

impl Planner {
    pub fn new(parts: PlannerParts) -> Self {
        let PlannerParts { pool, catalog, scheduling, stale_after, batch, workers, metrics } = parts;
        Self { pool, catalog, scheduling, stale_after, batch, workers: workers.max(1), metrics }
    }

    /// One planning tick: expire what went unanswered, then plan what is due.
    #[tracing::instrument(name = "planning sweep", skip_all)]
    pub async fn plan_due(&self) -> anyhow::Result<SweepReport> {
        let mut report = self.expire_unanswered().await?;
        report.summaries_queued = self.plan_weekly_summaries().await?;
        let (subscribers, queued) = self.plan_due_tracks().await?;
        report.subscribers = subscribers;
        report.nudges_queued = queued;
        if report != SweepReport::default() {
            tracing::info!(?report, "planning sweep done");
        }
        self.count(&report);
        Ok(report)
    }

    /// Plans every due track, the id ranges side by side. The last range is
    /// open-ended, so a subscriber added during the sweep is not missed.
    async fn plan_due_tracks(&self) -> anyhow::Result<(usize, u64)> {
        let Some((low, high)) = store::planning::id_bounds(&self.pool).await? else {
            return Ok((0, 0));
        };
        let mut workers = JoinSet::new();
        for range in split_ids(low, high, self.workers) {
            let planner = self.clone();
            workers.spawn(async move { planner.sweep_range(range).await });
        }
        let (mut subscribers, mut queued) = (0, 0);
        while let Some(done) = workers.join_next().await {
            let (s, q) = done.context("a planning worker panicked")??;
            subscribers += s;
            queued += q;
        }
        Ok((subscribers, queued))
    }

    fn count(&self, report: &SweepReport) {
        self.metrics.count_planning(PlanningEvent::Nudges, report.nudges_queued);
        self.metrics.count_planning(PlanningEvent::Summaries, report.summaries_queued);
        self.metrics.count_planning(PlanningEvent::Expired, report.expired as u64);
        self.metrics.count_planning(PlanningEvent::Resting, report.resting as u64);
    }
}
