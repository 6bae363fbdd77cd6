//! Checking a delivery run: waiting until the queue is settled, the rate
//! from the rows' `sent_at`, and what a run must show (every row sent on its
//! first attempt, the sink holding exactly N transactions with N distinct
//! Message-IDs, the very ones the rows name). A run that fails the check
//! fails the command, for the peers and multi-instance runs too.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use sqlx::PgPool;

use crate::sink;

/// Losses and duplicates, from the rows and from the sink.
#[derive(Debug, Default, Clone)]
pub struct Check {
    pub expected: i64,
    pub rows_sent: i64,
    pub rows_not_sent: i64,
    pub rows_retried: i64,
    pub transactions: usize,
    pub distinct_ids: usize,
    pub ids_not_in_rows: usize,
}

impl Check {
    pub fn ok(&self) -> bool {
        self.rows_sent == self.expected
            && self.rows_not_sent == 0
            && self.rows_retried == 0
            && self.transactions as i64 == self.expected
            && self.distinct_ids as i64 == self.expected
            && self.ids_not_in_rows == 0
    }

    pub fn summary(&self) -> String {
        format!(
            "{} rows sent of {}, {} not sent, {} sent more than once; sink: {} transactions, {} distinct Message-IDs, {} unknown",
            self.rows_sent,
            self.expected,
            self.rows_not_sent,
            self.rows_retried,
            self.transactions,
            self.distinct_ids,
            self.ids_not_in_rows
        )
    }
}

pub async fn wait_until_settled(pool: &PgPool, n: i64) -> anyhow::Result<()> {
    // The poll must cost PostgreSQL next to nothing, since it runs beside
    // the sender: a count over `deliveries` every 100 ms was a parallel
    // sequential scan that took a third of the machine from tend, and even
    // `exists` walks the dead head of the due index. So: `exists`, once a
    // second (the rate is taken from `sent_at`, not from when this notices),
    // and the count for the no-progress check every 5 s.
    let mut last = (-1, Instant::now());
    let mut counted = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let open: bool = sqlx::query_scalar("select exists(select 1 from deliveries where status = 'pending')")
            .fetch_one(pool)
            .await?;
        if !open {
            return Ok(());
        }
        if counted.elapsed() < Duration::from_secs(5) {
            continue;
        }
        counted = Instant::now();
        let open: i64 =
            sqlx::query_scalar("select count(*) from deliveries where status = 'pending'").fetch_one(pool).await?;
        if open != last.0 {
            last = (open, Instant::now());
        } else if last.1.elapsed() > Duration::from_secs(90) {
            anyhow::bail!("no progress for 90 s with {open} of {n} deliveries open");
        }
    }
}

pub async fn rate_since(pool: &PgPool, started: chrono::DateTime<chrono::Utc>, n: i64) -> anyhow::Result<f64> {
    let last: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("select max(sent_at) from deliveries where kind = 'nudge'").fetch_one(pool).await?;
    let secs = (last - started).num_microseconds().unwrap_or(1) as f64 / 1e6;
    Ok(n as f64 / secs.max(1e-6))
}

pub async fn check(pool: &PgPool, n: i64, received: &sink::Received) -> anyhow::Result<Check> {
    let (rows_sent, rows_not_sent, rows_retried): (i64, i64, i64) = sqlx::query_as(
        r#"select count(*) filter (where status = 'sent'), count(*) filter (where status <> 'sent'),
                  count(*) filter (where attempt <> 1 or unknown_outcomes <> 0)
           from deliveries where kind = 'nudge'"#,
    )
    .fetch_one(pool)
    .await?;
    let keys: Vec<String> =
        sqlx::query_scalar("select message_key::text from deliveries where kind = 'nudge'").fetch_all(pool).await?;
    let expected: HashSet<String> = keys.into_iter().map(|k| format!("<{k}@bench.example>")).collect();
    let distinct = received.distinct_ids();
    Ok(Check {
        expected: n,
        rows_sent,
        rows_not_sent,
        rows_retried,
        transactions: received.transactions,
        distinct_ids: distinct.len(),
        ids_not_in_rows: distinct.iter().filter(|id| !expected.contains(**id)).count(),
    })
}
#[cfg(test)]
mod tests {
    use super::Check;

    fn exact(n: i64) -> Check {
        let k = n as usize;
        Check { expected: n, rows_sent: n, transactions: k, distinct_ids: k, ..Check::default() }
    }

    #[test]
    fn every_message_once_passes() {
        assert!(exact(2_000).ok());
    }

    /// What fails a run (and so `benches/run.sh delivery`, for 2 and 4
    /// instances too: `variant_row` collects the failed runs and `run`
    /// ends with an error).
    #[test]
    fn one_lost_or_duplicated_message_fails_the_run() {
        let lost_row = Check { rows_sent: 1_999, rows_not_sent: 1, ..exact(2_000) };
        let lost_at_the_sink = Check { transactions: 1_999, distinct_ids: 1_999, ..exact(2_000) };
        let sent_twice = Check { transactions: 2_001, ..exact(2_000) };
        let retried = Check { rows_retried: 1, ..exact(2_000) };
        let foreign_id = Check { ids_not_in_rows: 1, ..exact(2_000) };
        for check in [lost_row, lost_at_the_sink, sent_twice, retried, foreign_id] {
            assert!(!check.ok(), "{}", check.summary());
        }
    }
}
