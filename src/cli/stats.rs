//! `tend stats`: a readable summary for an operator's terminal.
//!
//! Subscribers by status, what is due in the next 24 hours, the outbox right
//! now, what was sent and what failed in the last 24 hours, and how nudges
//! were answered per track. Everything comes from the database, so the
//! numbers cover every instance, unlike one process's `/metrics`.

use sqlx::PgPool;

use crate::store;

const RECENT_HOURS: i32 = 24;

pub async fn run(pool: &PgPool, days: u32) -> anyhow::Result<()> {
    let statuses = store::subscribers::count_by_status(pool).await?;
    let due = store::admin::due_within(pool, RECENT_HOURS).await?;
    let queue = store::admin::queue(pool).await?;
    let outcomes = store::admin::outcomes_within(pool, RECENT_HOURS).await?;
    let rates = store::admin::answer_rates(pool, days as i32).await?;

    println!("subscribers");
    // The usual statuses always show, even at zero; any other one as found.
    let usual = ["pending", "active", "paused", "resting", "unsubscribed"];
    let others = statuses.iter().map(|(s, _)| s.as_str()).filter(|s| !usual.contains(s));
    for status in usual.into_iter().chain(others) {
        let n = statuses.iter().find(|(s, _)| s == status).map_or(0, |(_, n)| *n);
        println!("  {status:<14}{n:>8}");
    }
    println!("  {:<14}{:>8}", "total", statuses.iter().map(|(_, n)| n).sum::<i64>());

    println!("due in the next {RECENT_HOURS} h: {} tracks of {} subscribers", due.tracks, due.subscribers);
    let late = queue.oldest_due_seconds.map_or_else(|| "none late".to_owned(), |s| format!("oldest {} late", age(s)));
    println!("outbox: {} pending ({} due now, {late}), {} being sent", queue.pending, queue.due_now, queue.sending);

    println!("last {RECENT_HOURS} h{:>14}{:>8}", "sent", "failed");
    if outcomes.is_empty() {
        println!("  (nothing sent or failed)");
    }
    for o in &outcomes {
        println!("  {:<16}{:>8}{:>8}", o.kind, o.sent, o.failed);
    }

    print_promises(&store::promises::outcome_totals(pool).await?);
    println!("answers to nudges sent in the last {days} days");
    if rates.is_empty() {
        println!("  (no nudges sent)");
        return Ok(());
    }
    println!(
        "  {:<16}{:>6}{:>10}{:>6}{:>6}{:>8}{:>9}{:>8}{:>8}",
        "track", "sent", "answered", "rate", "done", "partly", "not yet", "snooze", "paused"
    );
    for r in &rates {
        println!(
            "  {:<16}{:>6}{:>10}{:>6}{:>6}{:>8}{:>9}{:>8}{:>8}",
            r.track,
            r.sent,
            r.answered,
            percent(r.answered, r.sent),
            r.done,
            r.partly,
            r.not_yet,
            r.snooze,
            r.pause_track
        );
    }
    Ok(())
}

/// Promise outcomes across everyone (never per person): how often a promise
/// that could not be kept was renegotiated early rather than broken.
fn print_promises(totals: &[(String, i64)]) {
    let count = |key: &str| totals.iter().find(|(k, _)| k == key).map_or(0, |(_, n)| *n);
    let (kept, late, early, broken, open) =
        (count("kept"), count("kept_late"), count("renegotiated"), count("not_kept"), count("open"));
    println!("promises: {kept} kept, {late} kept late, {early} renegotiated early, {broken} not kept, {open} open");
    if early + broken > 0 {
        println!("  of promises not kept as made, {} were renegotiated early", percent(early, early + broken));
    }
}

fn percent(part: i64, whole: i64) -> String {
    match whole {
        0 => "-".to_owned(),
        _ => format!("{}%", (part * 100 + whole / 2) / whole),
    }
}

/// "45s", "12m", "3h 5m", "2d 4h".
fn age(seconds: f64) -> String {
    let s = seconds.max(0.0) as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86400 => format!("{}h {}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d {}h", s / 86400, s % 86400 / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_round_and_survive_zero() {
        assert_eq!(percent(0, 0), "-");
        assert_eq!(percent(2, 3), "67%");
        assert_eq!(percent(1, 8), "13%");
    }

    #[test]
    fn ages_read_like_a_person_would_say_them() {
        assert_eq!(age(12.4), "12s");
        assert_eq!(age(600.0), "10m");
        assert_eq!(age(3.0 * 3600.0 + 300.0), "3h 5m");
        assert_eq!(age(2.0 * 86400.0 + 4.0 * 3600.0), "2d 4h");
    }
}
