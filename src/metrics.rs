//! Metrics for operators, in Prometheus' text format: one [`Metrics`] per
//! running application, which the sender, the scheduler's jobs, the planner
//! and the HTTP layer all count into, plus gauges read from the database
//! when a scrape asks ([`render_gauges`]); the inbound listener's counters
//! are in [`inbound`].
//!
//! The counters are per application instance, not process-wide statics, so
//! two applications in one process (the tests run many) never count into
//! each other. They count events since start (`counter` type); the outbox
//! table holds the totals across instances (`tend_deliveries`). Everything is
//! aggregate: no label ever names a person, and routes are patterns
//! (`/n/{token}`), never paths, so tokens never become label values.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::PgPool;

use crate::store;

pub mod inbound;
pub use inbound::{InboundCounters, Refusal, ReplyOutcome};

/// What happened to one delivery attempt, or to a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryEvent {
    Sent,
    /// 4xx, refused connection, TLS trouble, a timeout before the end of data.
    Transient,
    /// 5xx: stored with its code and text, not retried.
    Permanent,
    /// The reply after the end of data was lost; retried with the same Message-ID.
    Unknown,
    /// An expired claim returned to the queue by the rescue job.
    Rescued,
    /// A worker found its claim gone when it came to record the outcome.
    LostLease,
    /// A claim given back unstarted at shutdown.
    Released,
    /// A claim dropped before sending: the subscription moved on, or the row
    /// cannot become a mail.
    Cancelled,
}

impl DeliveryEvent {
    pub const ALL: [DeliveryEvent; 8] = [
        DeliveryEvent::Sent,
        DeliveryEvent::Transient,
        DeliveryEvent::Permanent,
        DeliveryEvent::Unknown,
        DeliveryEvent::Rescued,
        DeliveryEvent::LostLease,
        DeliveryEvent::Released,
        DeliveryEvent::Cancelled,
    ];

    pub fn label(self) -> &'static str {
        match self {
            DeliveryEvent::Sent => "sent",
            DeliveryEvent::Transient => "transient",
            DeliveryEvent::Permanent => "permanent",
            DeliveryEvent::Unknown => "unknown",
            DeliveryEvent::Rescued => "rescued",
            DeliveryEvent::LostLease => "lost_lease",
            DeliveryEvent::Released => "released",
            DeliveryEvent::Cancelled => "cancelled",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// What a planning sweep did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanningEvent {
    /// Nudges queued.
    Nudges,
    /// Weekly summaries queued.
    Summaries,
    /// Unanswered nudges counted as misses.
    Expired,
    /// Subscribers who went quiet after too many misses.
    Resting,
}

impl PlanningEvent {
    pub const ALL: [PlanningEvent; 4] =
        [PlanningEvent::Nudges, PlanningEvent::Summaries, PlanningEvent::Expired, PlanningEvent::Resting];

    pub fn label(self) -> &'static str {
        match self {
            PlanningEvent::Nudges => "nudges",
            PlanningEvent::Summaries => "summaries",
            PlanningEvent::Expired => "expired",
            PlanningEvent::Resting => "resting",
        }
    }
}

/// Upper bounds (seconds) of the send latency histogram's buckets.
const LATENCY_BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

/// One application's counters. Lock-free except the request map, whose lock
/// is held for one lookup.
#[derive(Debug, Default)]
pub struct Metrics {
    deliveries: [AtomicU64; DeliveryEvent::ALL.len()],
    planning: [AtomicU64; PlanningEvent::ALL.len()],
    /// Route, then status. Nested so that counting looks up by `&str` and
    /// allocates only the first time a route is seen.
    requests: Mutex<BTreeMap<String, BTreeMap<u16, u64>>>,
    latency: Histogram,
    /// Replies, bounces, complaints and refusals of the inbound listener.
    pub inbound: InboundCounters,
}

#[derive(Debug, Default)]
struct Histogram {
    buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    count: AtomicU64,
    /// Microseconds, so the sum fits an atomic integer.
    sum_micros: AtomicU64,
}

impl Metrics {
    pub fn count(&self, event: DeliveryEvent, n: u64) {
        self.deliveries[event.index()].fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(&self, event: DeliveryEvent) -> u64 {
        self.deliveries[event.index()].load(Ordering::Relaxed)
    }

    pub fn count_planning(&self, event: PlanningEvent, n: u64) {
        self.planning[event as usize].fetch_add(n, Ordering::Relaxed);
    }

    pub fn get_planning(&self, event: PlanningEvent) -> u64 {
        self.planning[event as usize].load(Ordering::Relaxed)
    }

    /// Counts one answered HTTP request by its route pattern.
    pub fn count_request(&self, route: &str, status: u16) {
        let mut requests = self.requests.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match requests.get_mut(route) {
            Some(by_status) => *by_status.entry(status).or_default() += 1,
            None => {
                requests.insert(route.to_owned(), BTreeMap::from([(status, 1)]));
            }
        }
    }

    /// Records how long one SMTP send (or outbox write) took.
    pub fn observe_send_latency(&self, elapsed: std::time::Duration) {
        let seconds = elapsed.as_secs_f64();
        for (bound, count) in LATENCY_BUCKETS.iter().zip(&self.latency.buckets) {
            if seconds <= *bound {
                count.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency.count.fetch_add(1, Ordering::Relaxed);
        self.latency.sum_micros.fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
    }

    /// Appends this application's counters.
    pub fn render(&self, out: &mut String) {
        out.push_str("# HELP tend_delivery_events_total Delivery attempts and claims by what happened, since start.\n");
        out.push_str("# TYPE tend_delivery_events_total counter\n");
        for event in DeliveryEvent::ALL {
            let _ = writeln!(out, "tend_delivery_events_total{{event=\"{}\"}} {}", event.label(), self.get(event));
        }
        out.push_str("# HELP tend_planned_total What planning sweeps did, since start.\n");
        out.push_str("# TYPE tend_planned_total counter\n");
        for event in PlanningEvent::ALL {
            let _ = writeln!(out, "tend_planned_total{{what=\"{}\"}} {}", event.label(), self.get_planning(event));
        }
        self.render_requests(out);
        self.render_latency(out);
        self.inbound.render(out);
    }

    fn render_requests(&self, out: &mut String) {
        out.push_str("# HELP tend_http_requests_total HTTP requests by route and status, since start.\n");
        out.push_str("# TYPE tend_http_requests_total counter\n");
        let requests = self.requests.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for (route, by_status) in requests.iter() {
            for (status, n) in by_status {
                let _ = writeln!(out, "tend_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}");
            }
        }
    }

    fn render_latency(&self, out: &mut String) {
        out.push_str("# HELP tend_send_seconds Time to hand one message to the relay (or the outbox folder).\n");
        out.push_str("# TYPE tend_send_seconds histogram\n");
        for (bound, count) in LATENCY_BUCKETS.iter().zip(&self.latency.buckets) {
            let _ = writeln!(out, "tend_send_seconds_bucket{{le=\"{bound}\"}} {}", count.load(Ordering::Relaxed));
        }
        let total = self.latency.count.load(Ordering::Relaxed);
        let sum = self.latency.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "tend_send_seconds_bucket{{le=\"+Inf\"}} {total}");
        let _ = writeln!(out, "tend_send_seconds_sum {sum:.6}");
        let _ = writeln!(out, "tend_send_seconds_count {total}");
    }
}

/// Appends the gauges read from the database: outbox and subscribers by
/// status, queue depth and age, answers by action, answer rates per track,
/// promise outcomes.
pub async fn render_gauges(pool: &PgPool, out: &mut String) -> anyhow::Result<()> {
    out.push_str("# HELP tend_deliveries Deliveries in the outbox by kind and status.\n# TYPE tend_deliveries gauge\n");
    for (kind, status, n) in store::deliveries::count_by_status(pool).await? {
        let _ = writeln!(out, "tend_deliveries{{kind=\"{kind}\",status=\"{status}\"}} {n}");
    }
    out.push_str("# HELP tend_subscribers Subscribers by status.\n# TYPE tend_subscribers gauge\n");
    for (status, n) in store::subscribers::count_by_status(pool).await? {
        let _ = writeln!(out, "tend_subscribers{{status=\"{status}\"}} {n}");
    }
    let (due, oldest) = store::nudges::due_queue(pool).await?;
    out.push_str("# HELP tend_queue_due Deliveries due now and not yet claimed.\n# TYPE tend_queue_due gauge\n");
    let _ = writeln!(out, "tend_queue_due {due}");
    out.push_str("# HELP tend_queue_oldest_due_seconds How long the oldest due delivery has waited.\n");
    out.push_str("# TYPE tend_queue_oldest_due_seconds gauge\n");
    let _ = writeln!(out, "tend_queue_oldest_due_seconds {oldest:.3}");
    out.push_str("# HELP tend_answers Answers recorded, by action.\n# TYPE tend_answers gauge\n");
    for (action, n) in store::answers::count_by_action(pool).await? {
        let _ = writeln!(out, "tend_answers{{action=\"{action}\"}} {n}");
    }
    out.push_str("# HELP tend_answer_rate Share of nudges sent in the last 30 days that were answered, by track.\n");
    out.push_str("# TYPE tend_answer_rate gauge\n");
    for (track, sent, answered) in store::answers::rates_by_track(pool).await? {
        let rate = if sent == 0 { 0.0 } else { answered as f64 / sent as f64 };
        let _ = writeln!(out, "tend_answer_rate{{track=\"{track}\"}} {rate:.4}");
    }
    render_promises(pool, out).await
}

async fn render_promises(pool: &PgPool, out: &mut String) -> anyhow::Result<()> {
    out.push_str("# HELP tend_promises Promises by outcome (open: not answered yet).\n# TYPE tend_promises gauge\n");
    let outcomes = store::promises::outcome_totals(pool).await?;
    for (outcome, n) in &outcomes {
        let _ = writeln!(out, "tend_promises{{outcome=\"{outcome}\"}} {n}");
    }
    let count = |key: &str| outcomes.iter().find(|(k, _)| k == key).map_or(0, |(_, n)| *n);
    let (early, broken) = (count("renegotiated"), count("not_kept"));
    out.push_str(
        "# HELP tend_promises_renegotiated_early_ratio Of promises not kept as made, the share renegotiated early.\n",
    );
    out.push_str("# TYPE tend_promises_renegotiated_early_ratio gauge\n");
    let ratio = if early + broken == 0 { 0.0 } else { early as f64 / (early + broken) as f64 };
    let _ = writeln!(out, "tend_promises_renegotiated_early_ratio {ratio:.4}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_indexes_follow_the_list() {
        for (i, event) in DeliveryEvent::ALL.into_iter().enumerate() {
            assert_eq!(event.index(), i, "{event:?}");
        }
        for (i, event) in PlanningEvent::ALL.into_iter().enumerate() {
            assert_eq!(event as usize, i, "{event:?}");
        }
    }

    #[test]
    fn two_instances_count_apart() {
        let (a, b) = (Metrics::default(), Metrics::default());
        a.count(DeliveryEvent::Sent, 2);
        assert_eq!((a.get(DeliveryEvent::Sent), b.get(DeliveryEvent::Sent)), (2, 0));
        let mut out = String::new();
        a.render(&mut out);
        assert!(out.contains("tend_delivery_events_total{event=\"sent\"} 2"), "{out}");
    }
}
