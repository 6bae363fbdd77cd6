//! Delivery counters for `GET /metrics`.
//!
//! Process-wide, monotonic, lock-free: the sender and the rescue job bump
//! them, the metrics page reads them. They count events in this process since
//! it started (Prometheus' `counter` type); the outbox table itself holds the
//! totals across instances (`tend_deliveries`).

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

/// What happened to one attempt, or to a claim.
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
}

const EVENTS: [(DeliveryEvent, &str); 7] = [
    (DeliveryEvent::Sent, "sent"),
    (DeliveryEvent::Transient, "transient"),
    (DeliveryEvent::Permanent, "permanent"),
    (DeliveryEvent::Unknown, "unknown"),
    (DeliveryEvent::Rescued, "rescued"),
    (DeliveryEvent::LostLease, "lost_lease"),
    (DeliveryEvent::Released, "released"),
];

static COUNTERS: [AtomicU64; 7] = [const { AtomicU64::new(0) }; 7];

fn slot(event: DeliveryEvent) -> &'static AtomicU64 {
    let index = EVENTS.iter().position(|(e, _)| *e == event).expect("every event is listed");
    &COUNTERS[index]
}

pub fn count(event: DeliveryEvent, n: u64) {
    slot(event).fetch_add(n, Ordering::Relaxed);
}

pub fn get(event: DeliveryEvent) -> u64 {
    slot(event).load(Ordering::Relaxed)
}

/// Appends the counters in Prometheus text format.
pub fn render(out: &mut String) {
    out.push_str("# HELP tend_delivery_events_total Delivery attempts and claims by what happened, since start.\n");
    out.push_str("# TYPE tend_delivery_events_total counter\n");
    for (event, name) in EVENTS {
        let _ = writeln!(out, "tend_delivery_events_total{{event=\"{name}\"}} {}", get(event));
    }
}
