//! What `GET /metrics` adds beyond the delivery counters: HTTP requests by
//! route and status, send latency, and gauges read from the database (queue
//! depth and age, answers by action, answer rates per track, promise
//! outcomes). Everything is aggregate; nothing is per person.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::PgPool;

use crate::store;

/// Route, then status. Nested so that counting looks up by `&str` and
/// allocates only the first time a route is seen.
static REQUESTS: Mutex<BTreeMap<String, BTreeMap<u16, u64>>> = Mutex::new(BTreeMap::new());

/// Counts one answered HTTP request. `route` is the matched route pattern
/// (`/n/{token}`), never the path, so tokens never become label values.
pub fn count_request(route: &str, status: u16) {
    let mut requests = REQUESTS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    match requests.get_mut(route) {
        Some(by_status) => *by_status.entry(status).or_default() += 1,
        None => {
            requests.insert(route.to_owned(), BTreeMap::from([(status, 1)]));
        }
    }
}

/// Upper bounds (seconds) of the send latency histogram's buckets.
const LATENCY_BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];
static LATENCY_COUNTS: [AtomicU64; 10] = [const { AtomicU64::new(0) }; 10];
static LATENCY_TOTAL: AtomicU64 = AtomicU64::new(0);
/// Sum in microseconds, so it fits an atomic integer.
static LATENCY_SUM_MICROS: AtomicU64 = AtomicU64::new(0);

/// Records how long one SMTP send (or outbox write) took.
pub fn observe_send_latency(elapsed: std::time::Duration) {
    let seconds = elapsed.as_secs_f64();
    for (bound, count) in LATENCY_BUCKETS.iter().zip(&LATENCY_COUNTS) {
        if seconds <= *bound {
            count.fetch_add(1, Ordering::Relaxed);
        }
    }
    LATENCY_TOTAL.fetch_add(1, Ordering::Relaxed);
    LATENCY_SUM_MICROS.fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
}

/// Appends the in-process counters and the database gauges.
pub async fn render(pool: &PgPool, out: &mut String) -> anyhow::Result<()> {
    render_requests(out);
    render_latency(out);
    let queue = store::nudges::due_queue(pool).await?;
    out.push_str("# HELP tend_queue_due Deliveries due now and not yet claimed.\n# TYPE tend_queue_due gauge\n");
    let _ = writeln!(out, "tend_queue_due {}", queue.0);
    out.push_str("# HELP tend_queue_oldest_due_seconds How long the oldest due delivery has waited.\n");
    out.push_str("# TYPE tend_queue_oldest_due_seconds gauge\n");
    let _ = writeln!(out, "tend_queue_oldest_due_seconds {:.3}", queue.1);
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

fn render_requests(out: &mut String) {
    out.push_str("# HELP tend_http_requests_total HTTP requests by route and status, since start.\n");
    out.push_str("# TYPE tend_http_requests_total counter\n");
    let requests = REQUESTS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    for (route, by_status) in requests.iter() {
        for (status, n) in by_status {
            let _ = writeln!(out, "tend_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}");
        }
    }
}

fn render_latency(out: &mut String) {
    out.push_str("# HELP tend_send_seconds Time to hand one message to the relay (or the outbox folder).\n");
    out.push_str("# TYPE tend_send_seconds histogram\n");
    for (bound, count) in LATENCY_BUCKETS.iter().zip(&LATENCY_COUNTS) {
        let _ = writeln!(out, "tend_send_seconds_bucket{{le=\"{bound}\"}} {}", count.load(Ordering::Relaxed));
    }
    let total = LATENCY_TOTAL.load(Ordering::Relaxed);
    let _ = writeln!(out, "tend_send_seconds_bucket{{le=\"+Inf\"}} {total}");
    let _ = writeln!(out, "tend_send_seconds_sum {:.6}", LATENCY_SUM_MICROS.load(Ordering::Relaxed) as f64 / 1e6);
    let _ = writeln!(out, "tend_send_seconds_count {total}");
}
