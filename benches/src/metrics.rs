//! Metrics with a million subscribers: wrk against `GET /metrics` on the
//! metrics listener of a `tend serve` (scrape latency p99, target < 5 ms),
//! and what one gauge refresh costs on that database (the periodic job:
//! fold the deltas, read the totals and the due queue), next to what a
//! scrape used to run before the gauges were kept incrementally (a full
//! `count(*)` of each table).

use std::time::{Duration, Instant};

use clap::Args;
use sqlx::PgPool;

use crate::Common;
use crate::answers::wrk_with;
use crate::db::{Cluster, Population};
use crate::procs::{Process, TendConfig, http_get, write_config};
use crate::report::{Row, Runs, Table};
use crate::sink;

#[derive(Args, Clone, Debug)]
pub struct MetricsArgs {
    #[arg(long, default_value_t = 1_000_000)]
    pub subscribers: i64,
    #[arg(long, default_value_t = 10)]
    pub seconds: u32,
    /// wrk connections (Prometheus itself uses one per target).
    #[arg(long, default_value_t = 4)]
    pub connections: usize,
    /// Gauge refreshes timed per run.
    #[arg(long, default_value_t = 20)]
    pub refreshes: usize,
}

impl Default for MetricsArgs {
    fn default() -> Self {
        Self { subscribers: 1_000_000, seconds: 10, connections: 4, refreshes: 20 }
    }
}

const DB: &str = "bench_metrics";
const TOKEN: &str = "bench-scrape-token-0123456789abcdef";

#[derive(Default)]
struct Figures {
    rps: Runs,
    p50: Runs,
    p99: Runs,
    refresh_ms: Runs,
    full_count_ms: Runs,
}

pub async fn run(common: &Common, args: &MetricsArgs, table: &mut Table) -> anyhow::Result<()> {
    let cluster = Cluster::new(&common.pg);
    // Subscribers with two days of nudges and answers: the tables a scrape used to count.
    let population = Population { subscribers: args.subscribers, tracks_due: false, sent_nudges: true };
    let mut f = Figures::default();
    let mut failures = 0;
    for run in 0..common.runs {
        cluster.fresh(DB, population).await?;
        let pool = cluster.pool(DB, 2).await?;
        let (refresh, full) = time_refreshes(&pool, args.refreshes).await?;
        pool.close().await;
        let scrape = scrape_under_wrk(common, &cluster, args).await?;
        eprintln!("metrics run {}: scrape {scrape:?}, refresh {refresh:.2} ms, full count {full:.0} ms", run + 1);
        failures += scrape.failed;
        f.rps.push(scrape.rps);
        f.p50.push(scrape.p50_ms);
        f.p99.push(scrape.p99_ms);
        f.refresh_ms.push(refresh);
        f.full_count_ms.push(full);
    }
    add_rows(table, args, f, failures);
    cluster.drop(DB).await
}

/// wrk against a `tend serve`'s metrics listener, with the bearer token set.
async fn scrape_under_wrk(
    common: &Common,
    cluster: &Cluster,
    args: &MetricsArgs,
) -> anyhow::Result<crate::answers::Wrk> {
    let (port, metrics_port) = (sink::free_port()?, sink::free_port()?);
    let url = cluster.url(DB);
    let config = TendConfig { metrics_port: Some(metrics_port), ..TendConfig::web(&url, port) };
    let config = write_config(&common.work, "metrics", &config)?;
    let tend = Process::spawn_with_env(
        &common.tend_bin,
        &["--config", config.to_str().unwrap_or_default(), "serve", "--no-scheduler", "--no-sender"],
        &[("TEND__METRICS__TOKEN", TOKEN)],
    )?;
    sink::wait_for_port(metrics_port).await?;
    wait_for_gauges(metrics_port).await?;
    let env = [("AUTHORIZATION", format!("Bearer {TOKEN}"))];
    let result = wrk_with(metrics_port, "metrics", args.connections, args.seconds, &env).await;
    tend.stop().await?;
    result
}

/// The first refresh runs at start; scrapes before it would measure an empty page.
async fn wait_for_gauges(port: u16) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let text = http_get(port, "/metrics", &format!("Bearer {TOKEN}")).await?;
        if text.contains("tend_subscribers{") {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    anyhow::bail!("the gauges were not read within 60 s")
}

/// The median of `n` gauge refreshes, and of `n` full counts (what every
/// scrape ran before), in milliseconds. Between refreshes, a few hundred
/// answers come in, so each fold has deltas to fold.
async fn time_refreshes(pool: &PgPool, n: usize) -> anyhow::Result<(f64, f64)> {
    let gauges = tend::metrics::Gauges::default();
    let (mut refresh, mut full) = (Runs::default(), Runs::default());
    for i in 0..n {
        answer_some(pool, i as i64).await?;
        let started = Instant::now();
        gauges.refresh(pool).await?;
        refresh.push(started.elapsed().as_secs_f64() * 1e3);
    }
    for _ in 0..n.min(5) {
        let started = Instant::now();
        full_count(pool).await?;
        full.push(started.elapsed().as_secs_f64() * 1e3);
    }
    Ok((refresh.median(), full.median()))
}

/// 500 answers to today's nudges, as a busy minute brings.
async fn answer_some(pool: &PgPool, round: i64) -> anyhow::Result<()> {
    sqlx::query(
        "insert into answers (delivery_id, subscriber_id, track, action)
         select id, subscriber_id, track, 'done' from deliveries
         where kind = 'nudge' and track = 'check-in' and id % 1000 = $1 limit 500
         on conflict do nothing",
    )
    .bind(round % 1000)
    .execute(pool)
    .await?;
    Ok(())
}

/// The queries a scrape ran before the counts were kept incrementally.
async fn full_count(pool: &PgPool) -> anyhow::Result<()> {
    for sql in [
        "select kind, status, count(*) from deliveries group by kind, status",
        "select status, count(*) from subscribers group by status",
        "select action, count(*) from answers group by action",
        "select d.track, count(*), count(a.delivery_id) from deliveries d left join answers a on a.delivery_id = d.id
         where d.kind = 'nudge' and d.status = 'sent' and d.sent_at >= now() - interval '30 days' group by d.track",
        "select coalesce(outcome, 'open'), count(*) from promises group by 1",
    ] {
        sqlx::query(sql).fetch_all(pool).await?;
    }
    Ok(())
}

fn add_rows(table: &mut Table, args: &MetricsArgs, f: Figures, failures: i64) {
    let n = args.subscribers;
    let pass = f.p99.median() < 5.0 && failures == 0;
    table.add(Row {
        figure: format!("GET /metrics p99, ms ({n} subscribers, {} connections)", args.connections),
        runs: f.p99,
        reference: None,
        target: "< 5 ms, no errors".into(),
        pass: Some(pass),
    });
    table.add(Row {
        figure: "GET /metrics p50, ms".into(),
        runs: f.p50,
        reference: None,
        target: "".into(),
        pass: None,
    });
    table.add(Row {
        figure: "GET /metrics, req/s".into(),
        runs: f.rps,
        reference: None,
        target: "".into(),
        pass: None,
    });
    let full = f.full_count_ms.median();
    table.add(Row {
        figure: format!("gauge refresh (fold, totals, due queue), ms ({n} subscribers, 500 new answers each)"),
        runs: f.refresh_ms,
        reference: Some(("full count per scrape, before".into(), full)),
        target: "".into(),
        pass: None,
    });
    table.add(Row {
        figure: "full count of the gauge tables (what each scrape ran before), ms".into(),
        runs: f.full_count_ms,
        reference: None,
        target: "".into(),
        pass: None,
    });
}
