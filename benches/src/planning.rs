//! Planning: one sweep (`Planner::plan_due`) over a million subscribers with
//! three due tracks each, in a child process so that its peak resident
//! memory is the sweep's own. The sweep must leave no track due and queue
//! exactly one nudge per subscriber (the default limit of one a day). The
//! sweep runs with the configuration's `schedule.plan_workers` (2 by default;
//! `TEND__SCHEDULE__PLAN_WORKERS=1 benches/run.sh planning` measures one).

use std::path::Path;
use std::process::Stdio;
use std::time::Instant;

use anyhow::Context;
use clap::Args;

use crate::Common;
use crate::cpu::{ShareRuns, Side, Window};
use crate::db::{Cluster, Population};
use crate::procs::{TendConfig, write_config};
use crate::report::{Row, Runs, Table};

#[derive(Args, Clone, Debug)]
pub struct PlanningArgs {
    #[arg(long, default_value_t = 1_000_000)]
    pub subscribers: i64,
}

impl Default for PlanningArgs {
    fn default() -> Self {
        Self { subscribers: 1_000_000 }
    }
}

const DB: &str = "bench_plan";

pub async fn run(common: &Common, args: &PlanningArgs, table: &mut Table) -> anyhow::Result<()> {
    let cluster = Cluster::new(&common.pg);
    let population = Population { subscribers: args.subscribers, tracks_due: true, sent_nudges: false };
    let (mut secs, mut peak) = (Runs::default(), Runs::default());
    let mut all_planned_once = true;
    let (mut cpu, mut full_machine) = (ShareRuns::default(), Runs::default());
    for run in 0..common.runs {
        cluster.fresh(DB, population).await?;
        let pool = cluster.pool(DB, 2).await?;
        // The template's tracks fell due when it was seeded; make them due
        // now so that the sweep plans today's slots (not timed).
        sqlx::query("update subscriber_tracks set next_due_at = now() - interval '10 minutes'").execute(&pool).await?;
        sqlx::query("vacuum analyze subscriber_tracks").execute(&pool).await?;
        let url = cluster.url(DB);
        let config = TendConfig { batch_size: 1, ..TendConfig::web(&url, 1) };
        let config = write_config(&common.work, "planning", &config)?;
        // The child, once reaped, counts in this process's tree.
        let window = Window::start(vec![
            ("PostgreSQL", Side::postgres(&pool).await?),
            ("tend (the sweep's process)", Side::Tree(std::process::id())),
        ]);
        let out = std::process::Command::new(std::env::current_exe()?)
            .arg("plan-once")
            .arg(&config)
            .env_remove("DATABASE_URL")
            .env("RUST_LOG", "warn")
            .stderr(Stdio::inherit())
            .output()?;
        let shares = window.finish();
        anyhow::ensure!(out.status.success(), "the planning sweep failed");
        let result: serde_json::Value = serde_json::from_slice(&out.stdout).context("plan-once output")?;
        let still_due: i64 = sqlx::query_scalar(
            "select count(*) from subscriber_tracks where enabled and next_due_at is not null and next_due_at <= now() - interval '5 minutes'",
        )
        .fetch_one(&pool)
        .await?;
        let queued: i64 =
            sqlx::query_scalar("select count(*) from deliveries where kind = 'nudge'").fetch_one(&pool).await?;
        pool.close().await;
        eprintln!(
            "planning run {}: {result}; {queued} nudges queued, {still_due} tracks still due; {}",
            run + 1,
            shares.summary()
        );
        cpu.push(&shares);
        all_planned_once &= still_due == 0 && queued == args.subscribers;
        let sweep = result["secs"].as_f64().unwrap_or(f64::NAN);
        // The machine time the sweep used, spread over every core.
        full_machine.push(sweep * shares.machine / 100.0);
        secs.push(sweep);
        peak.push(result["peak_mib"].as_f64().unwrap_or(f64::NAN));
    }
    let pass = secs.median() <= 20.0 && all_planned_once;
    let bounded = peak.max() <= 32.0;
    table.add(Row {
        figure: format!("planning sweep, s ({} subscribers × 3 tracks)", args.subscribers),
        runs: secs,
        reference: None,
        target: "≤ 20 s, every track planned once".into(),
        pass: Some(pass),
    });
    table.add(Row {
        figure: "planning sweep peak RSS, MiB".into(),
        runs: peak,
        reference: None,
        target: "≤ 32 MiB".into(),
        pass: Some(bounded),
    });
    cpu.rows(table, "the planning sweep (from the child's start to its exit)");
    table.add(Row::note(
        "planning sweep with every core busy at its cost, s (sweep × machine busy share)",
        full_machine,
        "≤ 20 s needed",
    ));
    cluster.drop(DB).await
}

/// The child: builds tend as `tend serve` would, runs one sweep, prints
/// {"secs", "peak_mib", "report"}.
pub async fn plan_once(config: &Path) -> anyhow::Result<()> {
    let settings = tend::config::Settings::load(Some(config))?;
    let pool = tend::store::connect_lazy(&settings.database)?;
    let roles = tend::startup::Roles { web: false, scheduler: false, sender: false };
    let app = tend::startup::Application::build_with_listener(settings, pool, None, roles)?;
    let started = Instant::now();
    let report = app.planner().plan_due().await?;
    let secs = started.elapsed().as_secs_f64();
    let peak_kib = crate::procs::status_kib(std::process::id(), "VmHWM:").unwrap_or(0);
    let json =
        serde_json::json!({ "secs": secs, "peak_mib": peak_kib as f64 / 1024.0, "report": format!("{report:?}") });
    println!("{json}");
    Ok(())
}
