//! Delivery: N due nudges for confirmed subscribers, sent by `tend serve
//! --no-web --no-scheduler` to `smtp-sink`, timed from the commit that makes
//! them due to the last recorded row, and checked: every row `sent` on its
//! first attempt, and the sink holding exactly N transactions with N distinct
//! Message-IDs, the very ones the rows name. The same run then measures the
//! ceiling, `smtp-source` sending as many messages of the same size over as
//! many connections to a sink with the same dump.

use std::time::Duration;

use clap::Args;
use sqlx::PgPool;

use crate::Common;
use crate::cpu::{ShareRuns, Shares, Side, Window};
use crate::db::{Cluster, Population};
use crate::procs::{Process, TendConfig, write_config};
use crate::report::{Row, Runs, Table};
use crate::sink::{self, Sink};

mod check;

pub use check::{Check, check, rate_since, wait_until_settled};

#[derive(Args, Clone, Debug)]
pub struct DeliveryArgs {
    /// Due nudges per run.
    #[arg(long, default_value_t = 100_000)]
    pub n: i64,
    /// Subscribers in the database (the first N get a nudge).
    #[arg(long, default_value_t = 1_000_000)]
    pub subscribers: i64,
    /// SMTP connections (tend's `mail.pool_size` and `sender.concurrency`;
    /// smtp-source's sessions).
    #[arg(long, default_value_t = 16)]
    pub connections: usize,
    /// tend's `sender.batch_size`.
    #[arg(long, default_value_t = 200)]
    pub batch: usize,
    /// tend's `sender.record_batch`. With 16 connections the default (32)
    /// makes workers wait for the recorder (BENCHMARKS.md finding 13); a
    /// crash can send `connections + record_batch` mails twice.
    #[arg(long, default_value_t = 128)]
    pub record_batch: usize,
    /// Also measure with this many tend instances against one PostgreSQL
    /// (comma-separated, e.g. 1,2,4); 1 alone is the main figure.
    #[arg(long, value_delimiter = ',', default_value = "1")]
    pub instances: Vec<usize>,
    /// Sign every message with DKIM (set for the DKIM row).
    #[arg(skip)]
    pub dkim: bool,
    /// Also measure with the metrics' count triggers on `deliveries`
    /// switched off, to see what they cost the hot path.
    #[arg(long)]
    pub compare_count_triggers: bool,
    /// The count triggers on `deliveries` are off in this run (set for that row).
    #[arg(skip)]
    pub without_count_triggers: bool,
}

/// One run's figures.
#[derive(Debug, Default)]
pub struct Measured {
    pub rate: f64,
    pub peak_mib: f64,
    pub steady_mib: f64,
    pub bytes_per_message: u64,
    pub check: Check,
    /// PostgreSQL's, tend's and the sink's CPU from the due commit until
    /// the harness saw the queue empty.
    pub cpu: Shares,
}

pub const DB: &str = "bench_delivery";

/// How long a sender (tend, or a peer's worker) gets to start and reach its
/// idle polling loop before the work is made due: start-up is outside every
/// timed window.
pub const START_UP: Duration = Duration::from_millis(1500);

/// The share of the same-run smtp-source ceiling delivery must reach.
const TARGET_RATIO: f64 = 0.75;

pub async fn run(common: &Common, args: &DeliveryArgs, table: &mut Table) -> anyhow::Result<()> {
    let cluster = Cluster::new(&common.pg);
    let population = Population { subscribers: args.subscribers, tracks_due: false, sent_nudges: false };
    let (mut rate, mut ceiling, mut peak, mut steady) =
        (Runs::default(), Runs::default(), Runs::default(), Runs::default());
    let (mut cpu, mut ceiling_cpu, mut per_message) =
        (ShareRuns::default(), ShareRuns::default(), PerMessage::default());
    let mut failed = Vec::new();
    for run in 0..common.runs {
        cluster.fresh(DB, population).await?;
        let m = run_tend(common, &cluster, args, 1).await?;
        let c = run_ceiling(common, args, m.bytes_per_message).await?;
        eprintln!(
            "delivery run {}: tend {:.0}/s, ceiling {:.0}/s, {} bytes/message; {}; {}; ceiling's {}",
            run + 1,
            m.rate,
            c.rate,
            m.bytes_per_message,
            m.check.summary(),
            m.cpu.summary(),
            c.cpu.summary()
        );
        if !m.check.ok() {
            failed.push(format!("run {}: {}", run + 1, m.check.summary()));
        }
        rate.push(m.rate);
        ceiling.push(c.rate);
        peak.push(m.peak_mib);
        steady.push(m.steady_mib);
        cpu.push(&m.cpu);
        ceiling_cpu.push(&c.cpu);
        per_message.push(args.n as f64, &m, &c);
    }
    let ceiling_median = ceiling.median();
    let pass = rate.median() >= TARGET_RATIO * ceiling_median && failed.is_empty();
    let figure = format!(
        "delivery, msg/s (N = {}, {} connections, record_batch {})",
        args.n, args.connections, args.record_batch
    );
    let reference = Some(("smtp-source → smtp-sink".into(), ceiling_median));
    let target = format!("≥ {TARGET_RATIO} × ceiling, 0 lost, 0 duplicated");
    table.add(Row { figure, runs: rate, reference, target, pass: Some(pass) });
    table.add(Row {
        figure: "ceiling: smtp-source → smtp-sink, msg/s".into(),
        runs: ceiling,
        reference: None,
        target: "".into(),
        pass: None,
    });
    cpu.rows(table, "delivery");
    ceiling_cpu.rows(table, "the ceiling");
    per_message.rows(table);
    memory_rows(table, "delivery", args.subscribers, peak, steady);
    let dkim = DeliveryArgs { dkim: true, ..args.clone() };
    let figure = format!("delivery with DKIM (ed25519), msg/s (N = {}, {} connections)", args.n, args.connections);
    failed.extend(variant_row(common, &cluster, &dkim, 1, figure, ceiling_median, table).await?);
    if args.compare_count_triggers {
        let off = DeliveryArgs { without_count_triggers: true, ..args.clone() };
        let figure =
            format!("delivery without the count triggers, msg/s (N = {}, {} connections)", args.n, args.connections);
        failed.extend(variant_row(common, &cluster, &off, 1, figure, ceiling_median, table).await?);
    }
    for &k in args.instances.iter().filter(|&&k| k > 1) {
        let figure = format!("delivery, {k} instances × {} connections, msg/s", args.connections);
        failed.extend(variant_row(common, &cluster, args, k, figure, ceiling_median, table).await?);
    }
    cluster.drop(DB).await?;
    anyhow::ensure!(failed.is_empty(), "mail was lost or duplicated:\n{}", failed.join("\n"));
    Ok(())
}

/// What one message cost the whole machine in each run, and the ratio the
/// two costs allow: if tend's run and the ceiling's kept the machine equally
/// busy, tend's rate over the ceiling's would be the ceiling's CPU per
/// message over tend's. A ratio target above that is met only by keeping
/// the machine busier than the ceiling does, or by less work per message.
#[derive(Debug, Default)]
struct PerMessage {
    delivery: Runs,
    ceiling: Runs,
    ratio: Runs,
}

impl PerMessage {
    /// Both runs sent `messages`; the delivery's window also holds up to a
    /// second of idle tail (the harness polls once a second), which costs
    /// nearly nothing and so barely moves its figure.
    fn push(&mut self, messages: f64, delivery: &Measured, ceiling: &Ceiling) {
        let (d, c) = (delivery.cpu.machine_micros_each(messages), ceiling.cpu.machine_micros_each(messages));
        self.delivery.push(d);
        self.ceiling.push(c);
        self.ratio.push(c / d);
    }

    fn rows(self, table: &mut Table) {
        let rows = [
            ("machine CPU per message, µs: delivery (all processes)", self.delivery, ""),
            ("machine CPU per message, µs: the ceiling (all processes)", self.ceiling, ""),
            (
                "ratio the CPU allows (the ceiling's CPU per message / delivery's)",
                self.ratio,
                "the measured ratio when both runs keep the machine equally busy",
            ),
        ];
        for (figure, runs, target) in rows {
            table.add(Row::note(figure, runs, target));
        }
    }
}

/// Runs one variant (DKIM, several instances) `common.runs` times and adds
/// its row; returns the runs that lost or duplicated mail.
async fn variant_row(
    common: &Common,
    cluster: &Cluster,
    args: &DeliveryArgs,
    instances: usize,
    figure: String,
    ceiling: f64,
    table: &mut Table,
) -> anyhow::Result<Vec<String>> {
    let population = Population { subscribers: args.subscribers, tracks_due: false, sent_nudges: false };
    let (mut runs, mut cpu, mut failed) = (Runs::default(), ShareRuns::default(), Vec::new());
    for run in 0..common.runs {
        cluster.fresh(DB, population).await?;
        let m = run_tend(common, cluster, args, instances).await?;
        eprintln!("{figure}, run {}: {:.0}/s; {}; {}", run + 1, m.rate, m.check.summary(), m.cpu.summary());
        if !m.check.ok() {
            failed.push(format!("{figure}, run {}: {}", run + 1, m.check.summary()));
        }
        runs.push(m.rate);
        cpu.push(&m.cpu);
    }
    let reference = Some(("ceiling".into(), ceiling));
    let target = "0 lost, 0 duplicated".to_owned();
    let during = figure.split(", msg/s").next().unwrap_or(&figure).to_owned();
    table.add(Row { figure, runs, reference, target, pass: Some(failed.is_empty()) });
    cpu.rows(table, &during);
    Ok(failed)
}

pub fn memory_rows(table: &mut Table, phase: &str, subscribers: i64, peak: Runs, steady: Runs) {
    for (what, runs) in [("peak", peak), ("steady", steady)] {
        let pass = (what == "steady").then(|| runs.median() <= 64.0);
        table.add(Row {
            figure: format!("tend serve RSS {what} during {phase}, MiB ({subscribers} subscribers)"),
            runs,
            reference: None,
            target: if what == "steady" { "≤ 64 MiB".into() } else { "".into() },
            pass,
        });
    }
}

/// The smoke test: 2,000 messages once; an error on any loss or duplicate.
pub async fn smoke(common: &Common) -> anyhow::Result<()> {
    let args = DeliveryArgs {
        n: 2_000,
        subscribers: 2_000,
        connections: 8,
        batch: 100,
        record_batch: 32,
        instances: vec![1],
        dkim: false,
        compare_count_triggers: false,
        without_count_triggers: false,
    };
    let cluster = Cluster::new(&common.pg);
    let population = Population { subscribers: args.subscribers, tracks_due: false, sent_nudges: false };
    cluster.fresh("bench_smoke", population).await?;
    let measured = run_tend_in(common, &cluster, "bench_smoke", &args, 1).await;
    cluster.drop("bench_smoke").await?;
    let m = measured?;
    println!("smoke: {} ({:.0} msg/s, not a test criterion)", m.check.summary(), m.rate);
    anyhow::ensure!(m.check.ok(), "smoke: messages were lost or duplicated");
    println!("smoke: 1 passed, 0 failed");
    Ok(())
}

pub async fn run_tend(
    common: &Common,
    cluster: &Cluster,
    args: &DeliveryArgs,
    instances: usize,
) -> anyhow::Result<Measured> {
    run_tend_in(common, cluster, DB, args, instances).await
}

async fn run_tend_in(
    common: &Common,
    cluster: &Cluster,
    database: &str,
    args: &DeliveryArgs,
    instances: usize,
) -> anyhow::Result<Measured> {
    let sink = Sink::start(&common.work, "tend").await?;
    let url = cluster.url(database);
    let config = TendConfig {
        smtp_port: sink.port,
        connections: args.connections,
        batch_size: args.batch,
        record_batch: args.record_batch,
        db_connections: (args.connections as u32 + 4).max(10),
        dkim_key_file: if args.dkim { Some(dkim_key(&common.work)?) } else { None },
        ..TendConfig::web(&url, sink::free_port()?)
    };
    let config = write_config(&common.work, "delivery", &config)?;
    let pool = cluster.pool(database, 2).await?;
    if args.without_count_triggers {
        // The count triggers only: the queue's triggers keep `delivery_queue` right.
        for trigger in ["deliveries_count_insert", "deliveries_count_update", "deliveries_count_delete"] {
            sqlx::query(&format!("alter table deliveries disable trigger {trigger}")).execute(&pool).await?;
        }
    }
    let mut tends = Vec::new();
    for _ in 0..instances {
        tends.push(Process::tend(&common.tend_bin, &config, &["--no-web", "--no-scheduler"])?);
    }
    tokio::time::sleep(START_UP).await;
    tends[0].reset_samples();
    let tend_pids = tends.iter().map(Process::pid).collect();
    let sides = vec![
        ("PostgreSQL", Side::postgres(&pool).await?),
        ("tend", Side::Processes(tend_pids)),
        ("smtp-sink", Side::Processes(vec![sink.pid()])),
    ];
    // From the due commit, as the rate: the insert of N deliveries before it
    // is the planner's kind of work, not the sender's.
    let started = enqueue(&pool, args.n).await?;
    let window = Window::start(sides);
    let finished = wait_until_settled(&pool, args.n).await;
    let cpu = window.finish();
    let (peak_mib, steady_mib) = tends[0].memory();
    for tend in tends {
        tend.stop().await?;
    }
    finished?;
    let rate = rate_since(&pool, started, args.n).await?;
    let received = sink.stop()?;
    let check = check(&pool, args.n, &received).await?;
    pool.close().await;
    let bytes_per_message = received.bytes / (received.transactions.max(1) as u64);
    Ok(Measured { rate, peak_mib, steady_mib, bytes_per_message, check, cpu })
}

/// A fresh ed25519 DKIM key (base64 of a random 32-byte seed), as
/// `mail.dkim_key_file` reads it.
fn dkim_key(work: &std::path::Path) -> anyhow::Result<std::path::PathBuf> {
    use base64::Engine as _;
    let seed: [u8; 32] = rand::random();
    let path = work.join("dkim-ed25519.key");
    std::fs::write(&path, base64::engine::general_purpose::STANDARD.encode(seed))?;
    Ok(path)
}

/// Makes N nudges due in one transaction; returns the database clock just
/// after the commit, when the first claim can see them. The table is
/// analyzed in the same transaction: a clone's statistics say `deliveries`
/// is empty, and with them PostgreSQL joins the claimed ids back to
/// `deliveries` by a sequential scan per row until autovacuum's next
/// analyze, which made runs bimodal (about 1,450/s until then). A live
/// instance's table has real statistics.
async fn enqueue(pool: &PgPool, n: i64) -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        r#"insert into deliveries (subscriber_id, kind, track, variant, slot, due_at, answer_by)
           select id, 'nudge', 'check-in', $2, date_trunc('second', now()), now(), now() + interval '3 days'
           from subscribers where id <= $1"#,
    )
    .bind(n)
    .bind(crate::db::first_variant())
    .execute(&mut *tx)
    .await?;
    sqlx::query("analyze deliveries").execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(sqlx::query_scalar("select clock_timestamp()").fetch_one(pool).await?)
}

/// The ceiling: smtp-source over the same number of connections, messages of
/// the same size (its `-l` is the body; the headers it and the sink add are
/// ~300 bytes), to a sink with the same dump.
pub struct Ceiling {
    /// Messages per second.
    pub rate: f64,
    /// smtp-source's and the sink's CPU, and the machine's, while it ran.
    pub cpu: Shares,
}

pub async fn run_ceiling(common: &Common, args: &DeliveryArgs, bytes_per_message: u64) -> anyhow::Result<Ceiling> {
    let sink = Sink::start(&common.work, "ceiling").await?;
    let port = sink.port;
    let (n, connections) = (args.n as usize, args.connections);
    let length = bytes_per_message.saturating_sub(300).max(100);
    // smtp-source is this process's child: once waited for, its time is in
    // this process's reaped time, so the window ends after it has exited.
    let sides =
        vec![("smtp-source", Side::ReapedBy(std::process::id())), ("smtp-sink", Side::Processes(vec![sink.pid()]))];
    let window = Window::start(sides);
    let elapsed = tokio::task::spawn_blocking(move || sink::smtp_source(port, connections, n, length)).await??;
    let cpu = window.finish();
    let received = sink.stop()?;
    anyhow::ensure!(received.transactions == n, "the ceiling sink got {} of {n} messages", received.transactions);
    Ok(Ceiling { rate: n as f64 / elapsed.as_secs_f64(), cpu })
}
