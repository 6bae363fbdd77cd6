//! The counts behind the metrics gauges. Triggers keep them incrementally
//! (migration `gauge_counts`: every change appends signed deltas in its own
//! transaction); [`fold_and_read`] folds what arrived since the last
//! refresh into the totals and reads them back, so a refresh costs the
//! changes since the last one, whatever the size of the tables.

use anyhow::Context;
use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool};

/// One instance folds at a time; another that finds the lock taken just
/// reads the totals (they are at most one refresh behind).
const FOLD_LOCK: i64 = 0x7465_6e64_0003;
/// Days of the daily counts kept for the answer rate (today and 30 before).
pub const RATE_DAYS: i32 = 30;

/// A total: `gauge` names what is counted (`subscribers`, `deliveries`,
/// `answers`, `promises`, `nudges_sent`, `answered`); `day` is set for the
/// daily ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GaugeTotal {
    pub gauge: String,
    pub label: String,
    pub sublabel: String,
    pub day: Option<NaiveDate>,
    pub n: i64,
}

/// Folds the deltas (unless another instance is folding) and reads the totals.
#[tracing::instrument(skip_all)]
pub async fn fold_and_read(pool: &PgPool) -> anyhow::Result<Vec<GaugeTotal>> {
    let mut tx = pool.begin().await.context("failed to start a transaction")?;
    fold_if_free(&mut tx).await?;
    let totals = read(&mut tx).await?;
    tx.commit().await.context("failed to commit the gauge fold")?;
    Ok(totals)
}

/// Folds the deltas, unless another instance is folding: the scheduler's
/// job, so that `gauge_deltas` stays small even where no metrics listener
/// runs. Returns whether this call folded.
#[tracing::instrument(skip_all)]
pub async fn fold_deltas(pool: &PgPool) -> anyhow::Result<bool> {
    let mut tx = pool.begin().await.context("failed to start a transaction")?;
    let folded = fold_if_free(&mut tx).await?;
    tx.commit().await.context("failed to commit the gauge fold")?;
    Ok(folded)
}

async fn fold_if_free(conn: &mut PgConnection) -> anyhow::Result<bool> {
    if !try_lock_fold(conn).await? {
        return Ok(false);
    }
    fold(conn).await?;
    drop_old_days(conn).await?;
    Ok(true)
}

async fn try_lock_fold(conn: &mut PgConnection) -> anyhow::Result<bool> {
    sqlx::query_scalar!(r#"select pg_try_advisory_xact_lock($1) as "locked!""#, FOLD_LOCK)
        .fetch_one(conn)
        .await
        .context("failed to take the gauge fold lock")
}

async fn fold(conn: &mut PgConnection) -> anyhow::Result<()> {
    sqlx::query!(
        r#"with moved as (delete from gauge_deltas returning gauge, label, sublabel, day, delta)
           insert into gauge_totals (gauge, label, sublabel, day, n)
           select gauge, label, sublabel, day, sum(delta) from moved group by gauge, label, sublabel, day
           on conflict (gauge, label, sublabel, day) do update set n = gauge_totals.n + excluded.n"#
    )
    .execute(conn)
    .await
    .context("failed to fold the gauge deltas")?;
    Ok(())
}

async fn drop_old_days(conn: &mut PgConnection) -> anyhow::Result<()> {
    sqlx::query!(r#"delete from gauge_totals where day < (now() at time zone 'UTC')::date - $1::int"#, RATE_DAYS)
        .execute(conn)
        .await
        .context("failed to drop old daily counts")?;
    Ok(())
}

async fn read(conn: &mut PgConnection) -> anyhow::Result<Vec<GaugeTotal>> {
    sqlx::query_as!(
        GaugeTotal,
        r#"select gauge, label, sublabel, day, n from gauge_totals order by gauge, label, sublabel, day"#
    )
    .fetch_all(conn)
    .await
    .context("failed to read the gauge totals")
}
