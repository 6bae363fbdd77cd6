//! Gauges read from the database: subscribers and the outbox by status,
//! the due queue, answers, answer rates per track, promise outcomes.
//!
//! A periodic refresh ([`refresh_every`], at most every `metrics.refresh`)
//! reads them and keeps the rendered text; a scrape only copies it, so any
//! number of scrapes runs no query at all. The counts themselves are kept
//! incrementally by the database (`store::gauges`), so a refresh costs the
//! changes since the last one, not a scan; the due queue is read through
//! its partial index. `tend_gauges_age_seconds` says how old the figures
//! are: it grows while the database is away, which an alert can watch.

use std::fmt::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::PgPool;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use super::Metrics;
use crate::store::{self, gauges::GaugeTotal};

/// The figures as last read, rendered.
#[derive(Debug, Default)]
pub struct Gauges {
    cached: Mutex<Option<(Arc<str>, Instant)>>,
}

impl Gauges {
    /// Reads every gauge from the database and keeps the text.
    pub async fn refresh(&self, pool: &PgPool) -> anyhow::Result<()> {
        let totals = store::gauges::fold_and_read(pool).await?;
        let (due, oldest) = store::nudges::due_queue(pool).await?;
        let mut out = String::with_capacity(4096);
        render_totals(&totals, &mut out);
        render_queue(due, oldest, &mut out);
        *self.cached.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some((out.into(), Instant::now()));
        Ok(())
    }

    /// Appends the last figures read, and their age.
    pub fn render(&self, out: &mut String) {
        let cached = self.cached.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
        out.push_str("# HELP tend_gauges_age_seconds Seconds since the database gauges below were read.\n");
        out.push_str("# TYPE tend_gauges_age_seconds gauge\n");
        let Some((text, read_at)) = cached else {
            // Not read yet (start-up, or the database was away since).
            return;
        };
        let _ = writeln!(out, "tend_gauges_age_seconds {:.3}", read_at.elapsed().as_secs_f64());
        out.push_str(&text);
    }
}

/// Refreshes `metrics`' gauges now and then every `every` until shutdown. A
/// failed refresh (the database is away) keeps the last figures, whose age
/// keeps growing, and is tried again on the next tick.
pub async fn refresh_every(metrics: Arc<Metrics>, pool: PgPool, every: Duration, shutdown: CancellationToken) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            () = shutdown.cancelled() => break,
        }
        if let Err(err) = metrics.gauges().refresh(&pool).await {
            tracing::warn!(error = ?err, "could not refresh the metrics gauges; will try again");
        }
    }
}

/// The counted gauges, from the totals the database keeps.
fn render_totals(totals: &[GaugeTotal], out: &mut String) {
    let of = |gauge: &'static str| totals.iter().filter(move |t| t.gauge == gauge);
    out.push_str("# HELP tend_deliveries Deliveries in the outbox by kind and status.\n# TYPE tend_deliveries gauge\n");
    for t in of("deliveries") {
        let _ = writeln!(out, "tend_deliveries{{kind=\"{}\",status=\"{}\"}} {}", t.label, t.sublabel, t.n);
    }
    out.push_str("# HELP tend_subscribers Subscribers by status.\n# TYPE tend_subscribers gauge\n");
    for t in of("subscribers") {
        let _ = writeln!(out, "tend_subscribers{{status=\"{}\"}} {}", t.label, t.n);
    }
    out.push_str("# HELP tend_answers Answers recorded, by action.\n# TYPE tend_answers gauge\n");
    for t in of("answers") {
        let _ = writeln!(out, "tend_answers{{action=\"{}\"}} {}", t.label, t.n);
    }
    render_rates(of("nudges_sent"), of("answered"), out);
    render_promises(of("promises"), out);
}

/// Answers per nudge sent over the daily counts kept (the last 30 UTC days
/// and today), by track.
fn render_rates<'a>(
    sent: impl Iterator<Item = &'a GaugeTotal>,
    answered: impl Iterator<Item = &'a GaugeTotal>,
    out: &mut String,
) {
    let mut by_track: std::collections::BTreeMap<&str, (i64, i64)> = Default::default();
    for t in sent {
        by_track.entry(&t.label).or_default().0 += t.n;
    }
    for t in answered {
        by_track.entry(&t.label).or_default().1 += t.n;
    }
    out.push_str("# HELP tend_answer_rate Answers recorded per nudge sent over the last 30 days (UTC), by track.\n");
    out.push_str("# TYPE tend_answer_rate gauge\n");
    for (track, (sent, answered)) in by_track {
        let rate = if sent <= 0 { 0.0 } else { answered as f64 / sent as f64 };
        let _ = writeln!(out, "tend_answer_rate{{track=\"{track}\"}} {rate:.4}");
    }
}

fn render_promises<'a>(outcomes: impl Iterator<Item = &'a GaugeTotal>, out: &mut String) {
    out.push_str("# HELP tend_promises Promises by outcome (open: not answered yet).\n# TYPE tend_promises gauge\n");
    let (mut early, mut broken) = (0, 0);
    for t in outcomes {
        let _ = writeln!(out, "tend_promises{{outcome=\"{}\"}} {}", t.label, t.n);
        match t.label.as_str() {
            "renegotiated" => early += t.n,
            "not_kept" => broken += t.n,
            _ => {}
        }
    }
    out.push_str(
        "# HELP tend_promises_renegotiated_early_ratio Of promises not kept as made, the share renegotiated early.\n",
    );
    out.push_str("# TYPE tend_promises_renegotiated_early_ratio gauge\n");
    let ratio = if early + broken <= 0 { 0.0 } else { early as f64 / (early + broken) as f64 };
    let _ = writeln!(out, "tend_promises_renegotiated_early_ratio {ratio:.4}");
}

fn render_queue(due: i64, oldest: f64, out: &mut String) {
    out.push_str("# HELP tend_queue_due Deliveries due now and not yet claimed.\n# TYPE tend_queue_due gauge\n");
    let _ = writeln!(out, "tend_queue_due {due}");
    out.push_str("# HELP tend_queue_oldest_due_seconds How long the oldest due delivery has waited.\n");
    out.push_str("# TYPE tend_queue_oldest_due_seconds gauge\n");
    let _ = writeln!(out, "tend_queue_oldest_due_seconds {oldest:.3}");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn total(gauge: &str, label: &str, sublabel: &str, n: i64) -> GaugeTotal {
        GaugeTotal { gauge: gauge.into(), label: label.into(), sublabel: sublabel.into(), day: None, n }
    }

    #[test]
    fn totals_render_as_labelled_gauges_and_rates_sum_the_days() {
        let day = |d| chrono::NaiveDate::from_ymd_opt(2026, 5, d);
        let totals = [
            total("deliveries", "nudge", "sent", 7),
            total("subscribers", "active", "", 3),
            GaugeTotal { day: day(1), ..total("nudges_sent", "check-in", "", 3) },
            GaugeTotal { day: day(2), ..total("nudges_sent", "check-in", "", 1) },
            GaugeTotal { day: day(2), ..total("answered", "check-in", "", 3) },
            total("promises", "renegotiated", "", 1),
            total("promises", "not_kept", "", 3),
        ];
        let mut out = String::new();
        render_totals(&totals, &mut out);
        for line in [
            "tend_deliveries{kind=\"nudge\",status=\"sent\"} 7",
            "tend_subscribers{status=\"active\"} 3",
            "tend_answer_rate{track=\"check-in\"} 0.7500",
            "tend_promises_renegotiated_early_ratio 0.2500",
        ] {
            assert!(out.lines().any(|l| l == line), "{line} missing from\n{out}");
        }
    }

    #[test]
    fn before_the_first_read_only_the_age_help_shows() {
        let mut out = String::new();
        Gauges::default().render(&mut out);
        assert!(!out.contains("tend_subscribers") && !out.lines().any(|l| l.starts_with("tend_gauges_age_seconds")));
    }
}
