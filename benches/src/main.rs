//! `tend-bench`: measures tend against this machine's ceilings.
//!
//! Every subcommand runs against a real PostgreSQL (the cluster that
//! `benches/setup.sh` starts, fsync on) and real SMTP peers on loopback
//! (Postfix's `smtp-sink` and `smtp-source`), repeats each figure `--runs`
//! times and prints the median with min and max. `benches/run.sh` is the
//! one command that prepares everything and calls this binary.
//!
//! # Layout
//!
//! - [`db`]: benchmark databases built once as templates, cloned per run.
//! - [`sink`]: `smtp-sink` with a dump file, its parser, and `smtp-source`.
//! - [`procs`]: child processes (tend, the hello-world server) and their RSS.
//! - [`cpu`]: each side's share of the machine's CPU over a timed window.
//! - [`delivery`]: tend's sender against the sink, checked and timed.
//! - [`planning`]: one planning sweep over 1,000,000 subscribers.
//! - [`answers`]: wrk against `/n/{token}` and against a hello-world.
//! - [`metrics`]: scrape latency on the metrics listener, refresh cost.
//! - [`limits`]: the per-client limit under 100,000 distinct clients.
//! - [`report`]: medians, the results table.
//! - `peers` (feature `peers`): the same delivery job on generic job queues.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

mod answers;
mod cpu;
mod db;
mod delivery;
mod limits;
mod metrics;
#[cfg(feature = "peers")]
mod peers;
mod planning;
mod procs;
mod report;
mod sink;

#[derive(Parser)]
#[command(about = "tend's benchmarks against this machine's ceilings")]
struct Cli {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: Command,
}

/// What every benchmark needs to find.
#[derive(Args, Clone)]
pub struct Common {
    /// The benchmark cluster (no database name): benches/setup.sh prints it.
    #[arg(long, env = "BENCH_PG_URL", default_value = "postgres://postgres@127.0.0.1:5547", global = true)]
    pub pg: String,
    /// The `tend` binary to run as `tend serve`.
    #[arg(long, env = "TEND_BIN", default_value = "target/release/tend", global = true)]
    pub tend_bin: PathBuf,
    /// Repetitions of each figure (the median is reported).
    #[arg(long, default_value_t = 3, global = true)]
    pub runs: usize,
    /// Scratch directory for dumps, configs and token files (tmpfs is best).
    #[arg(long, default_value = "/dev/shm/tend-bench", global = true)]
    pub work: PathBuf,
    /// Where the markdown results table is appended.
    #[arg(long, global = true)]
    pub out: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Delivery rate against smtp-sink, and the smtp-source ceiling.
    Delivery(delivery::DeliveryArgs),
    /// The delivery job on graphile_worker and apalis (feature `peers`).
    #[cfg(feature = "peers")]
    Peers(delivery::DeliveryArgs),
    /// One planning sweep over a million subscribers, with peak memory.
    Planning(planning::PlanningArgs),
    /// Answer POSTs and GET pages with wrk, and the hello-world ceiling.
    Answers(answers::AnswerArgs),
    /// GET /metrics p99 with a million subscribers, and a gauge refresh's cost.
    Metrics(metrics::MetricsArgs),
    /// Subscribe p99 and RSS under 100,000 distinct client addresses.
    Limits(limits::LimitArgs),
    /// Everything above, in that order.
    All(delivery::DeliveryArgs),
    /// Delivery with N = 2,000, once: fails on any lost or duplicated message.
    Smoke,
    /// (internal) One planning sweep in this process; prints JSON.
    #[command(hide = true)]
    PlanOnce { config: PathBuf },
    /// (internal) A minimal axum hello-world, the GET ceiling.
    #[command(hide = true)]
    Hello { port: u16 },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let common = cli.common;
    std::fs::create_dir_all(&common.work)?;
    let mut table = report::Table::new();
    match cli.command {
        Command::Delivery(args) => delivery::run(&common, &args, &mut table).await?,
        #[cfg(feature = "peers")]
        Command::Peers(args) => peers::run(&common, &args, &mut table).await?,
        Command::Planning(args) => planning::run(&common, &args, &mut table).await?,
        Command::Answers(args) => answers::run(&common, &args, &mut table).await?,
        Command::Metrics(args) => metrics::run(&common, &args, &mut table).await?,
        Command::Limits(args) => limits::run(&common, &args, &mut table).await?,
        Command::All(args) => {
            delivery::run(&common, &args, &mut table).await?;
            #[cfg(feature = "peers")]
            peers::run(&common, &args, &mut table).await?;
            planning::run(&common, &planning::PlanningArgs::default(), &mut table).await?;
            answers::run(&common, &answers::AnswerArgs::default(), &mut table).await?;
            metrics::run(&common, &metrics::MetricsArgs::default(), &mut table).await?;
            limits::run(&common, &limits::LimitArgs::default(), &mut table).await?;
        }
        Command::Smoke => return delivery::smoke(&common).await,
        Command::PlanOnce { config } => return planning::plan_once(&config).await,
        Command::Hello { port } => return answers::hello(port).await,
    }
    table.finish(&common)
}
