//! The per-client subscribe limit under a flood of distinct clients.
//!
//! `tend serve` trusts `X-Real-IP` (`http.client_ip_header`), and wrk posts
//! the subscribe form with each request from the next of CLIENTS distinct
//! IPv4 addresses (for one of 1,000 addresses, whose inboxes soon reach
//! their confirmation cap). First a baseline with 10,000 clients, each well
//! inside its 10 a minute; then `--clients` (100,000) distinct clients.
//! Reported: tend's resident memory after the baseline and after the flood
//! (the limiter's table is allocated at start, so the difference is what the
//! flood costs), and subscribe p99 in both (every accepted subscribe waits
//! at least 120 ms by design; the p99 shows what the limiter adds on top).

use clap::Args;

use crate::Common;
use crate::answers::{Wrk, wrk_with};
use crate::db::{Cluster, Population};
use crate::procs::{Process, TendConfig, status_kib, write_config};
use crate::report::{Row, Runs, Table};
use crate::sink;

#[derive(Args, Clone, Debug)]
pub struct LimitArgs {
    /// Distinct client addresses in the flood.
    #[arg(long, default_value_t = 100_000)]
    pub clients: u64,
    /// Distinct client addresses in the baseline.
    #[arg(long, default_value_t = 10_000)]
    pub baseline_clients: u64,
    /// Length of the flood; long enough that every client sends.
    #[arg(long, default_value_t = 60)]
    pub seconds: u32,
    #[arg(long, default_value_t = 15)]
    pub baseline_seconds: u32,
    #[arg(long, default_value_t = 256)]
    pub connections: usize,
}

impl Default for LimitArgs {
    fn default() -> Self {
        Self { clients: 100_000, baseline_clients: 10_000, seconds: 60, baseline_seconds: 15, connections: 256 }
    }
}

const DB: &str = "bench_limits";

#[derive(Default)]
struct Figures {
    baseline_p99: Runs,
    flood_p99: Runs,
    flood_rps: Runs,
    rss_baseline: Runs,
    rss_flood: Runs,
    distinct: Runs,
}

pub async fn run(common: &Common, args: &LimitArgs, table: &mut Table) -> anyhow::Result<()> {
    let cluster = Cluster::new(&common.pg);
    let population = Population { subscribers: 0, tracks_due: false, sent_nudges: false };
    let mut f = Figures::default();
    let mut refused = 0;
    for run in 0..common.runs {
        cluster.fresh(DB, population).await?;
        let (baseline, flood, rss) = flood_once(common, &cluster, args).await?;
        eprintln!("limits run {}: baseline {baseline:?}, flood {flood:?}, RSS {rss:?} MiB", run + 1);
        refused += flood.failed;
        f.baseline_p99.push(baseline.p99_ms);
        f.flood_p99.push(flood.p99_ms);
        f.flood_rps.push(flood.rps);
        f.rss_baseline.push(rss.0);
        f.rss_flood.push(rss.1);
        f.distinct.push(flood.requests.min(args.clients as f64));
    }
    add_rows(table, args, f, refused);
    cluster.drop(DB).await
}

/// The baseline, the flood, and tend's RSS (MiB) after each.
async fn flood_once(common: &Common, cluster: &Cluster, args: &LimitArgs) -> anyhow::Result<(Wrk, Wrk, (f64, f64))> {
    let port = sink::free_port()?;
    let url = cluster.url(DB);
    let config = TendConfig {
        db_connections: 16,
        http_extra: "client_ip_header = \"x-real-ip\"\nmax_connections = 4096",
        ..TendConfig::web(&url, port)
    };
    let config = write_config(&common.work, "limits", &config)?;
    // Web only: no sender draining the confirmations, no planner.
    let tend = Process::tend(&common.tend_bin, &config, &["--no-scheduler", "--no-sender"])?;
    sink::wait_for_port(port).await?;
    let rss = || status_kib(tend.pid(), "VmRSS:").unwrap_or(0) as f64 / 1024.0;
    let clients = |n: u64| [("CLIENTS", n.to_string()), ("EMAILS", "1000".to_owned())];
    let measured = async {
        let baseline =
            wrk_with(port, "subscribe", args.connections, args.baseline_seconds, &clients(args.baseline_clients))
                .await?;
        let after_baseline = rss();
        let flood = wrk_with(port, "subscribe", args.connections, args.seconds, &clients(args.clients)).await?;
        anyhow::Ok((baseline, flood, (after_baseline, rss())))
    }
    .await;
    tend.stop().await?;
    measured
}

fn add_rows(table: &mut Table, args: &LimitArgs, f: Figures, refused: i64) {
    let (baseline_p99, baseline_rss) = (f.baseline_p99.median(), f.rss_baseline.median());
    let p99_pass = f.flood_p99.median() <= 1.1 * baseline_p99;
    let rss_pass = f.rss_flood.median() <= baseline_rss + 16.0;
    table.add(Row {
        figure: format!("subscribe p99, ms, {} distinct IPv4 clients ({} connections)", args.clients, args.connections),
        runs: f.flood_p99,
        reference: Some((format!("{} clients", args.baseline_clients), baseline_p99)),
        target: "≤ 1.1 × baseline (every answer waits ≥ 120 ms)".into(),
        pass: Some(p99_pass),
    });
    table.add(Row {
        figure: format!("subscribe p99, ms, baseline: {} clients", args.baseline_clients),
        runs: f.baseline_p99,
        reference: None,
        target: "".into(),
        pass: None,
    });
    table.add(Row {
        figure: format!("tend serve RSS after {} distinct clients, MiB", args.clients),
        runs: f.rss_flood,
        reference: Some(("after the baseline".into(), baseline_rss)),
        target: "≤ baseline + 16 MiB (fixed table)".into(),
        pass: Some(rss_pass),
    });
    table.add(Row {
        figure: "distinct clients that sent during the flood".into(),
        runs: f.distinct,
        reference: None,
        target: format!("{}; non-2xx answers: {refused}", args.clients),
        pass: None,
    });
    table.add(Row {
        figure: "subscribe req/s during the flood".into(),
        runs: f.flood_rps,
        reference: None,
        target: "".into(),
        pass: None,
    });
}
