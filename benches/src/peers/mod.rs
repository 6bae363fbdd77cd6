//! Peers: the delivery job done the way a team would do it with an
//! off-the-shelf PostgreSQL job queue, each at the settings its
//! documentation gives for throughput (named in every row). The handler
//! loads the row, renders the same message with tend's composer, sends it
//! with the same lettre setup (tend's NODELAY connection pool) and records
//! it as sent. Same database, sink, N and checks as tend's run.
//!
//! Start-up (building the worker, the library's migrations, its first poll)
//! is outside the timed window: the worker runs for as long as tend gets to
//! reach its idle loop, then the jobs are added in one commit, and the rate
//! is N over the time from that commit to the last row recorded, on the
//! database clock, as for tend.

use std::sync::Arc;

use sqlx::PgPool;
use tend::domain::mail::{DeliveryRef, MailBody, MailContext, Recipient};
use tend::domain::{LinkGeneration, Locale, SubscriberEmail};
use tend::mail::{Composer, Mailer, Nudge, SendOutcome};

use crate::Common;
use crate::cpu::{ShareRuns, Shares, Side, Window};
use crate::db::{Cluster, Population};
use crate::delivery::{self, DeliveryArgs};
use crate::procs::{TendConfig, write_config};
use crate::report::{Row, Runs, Table};
use crate::sink::Sink;

mod apalis_peer;
mod graphile;

const DB: &str = "bench_peers";

/// What every handler shares.
pub struct Shared {
    pub pool: PgPool,
    composer: Composer,
    mailer: Mailer,
    nudge: Nudge,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Shared")
    }
}

/// The job's body, the same for both queues: send, then record.
pub async fn send_one(shared: &Shared, delivery_id: i64) -> anyhow::Result<()> {
    send_mail(shared, delivery_id).await?;
    mark_sent(shared, &[delivery_id]).await
}

/// Loads the row, renders it with tend's composer and sends it.
pub async fn send_mail(shared: &Shared, delivery_id: i64) -> anyhow::Result<()> {
    let (email, subscriber_id, slot, key): (String, i64, chrono::DateTime<chrono::Utc>, String) = sqlx::query_as(
        r#"select s.email, s.id, d.slot, d.message_key::text
           from deliveries d join subscribers s on s.id = d.subscriber_id where d.id = $1"#,
    )
    .bind(delivery_id)
    .fetch_one(&shared.pool)
    .await?;
    let mail = MailContext {
        delivery: DeliveryRef { id: delivery_id, slot, message_key: key },
        to: Recipient {
            subscriber_id,
            email: SubscriberEmail::parse(&email)?,
            locale: Locale::en(),
            zone: tend::domain::TimeZone::UTC,
            link_generation: LinkGeneration::FIRST,
            discreet: false,
        },
        body: MailBody::Nudge { track: shared.nudge.track, variant: shared.nudge.variant.clone() },
    };
    let message = shared.composer.compose(&mail);
    match shared.mailer.send(&message).await {
        SendOutcome::Sent { .. } => Ok(()),
        other => anyhow::bail!("not sent: {other:?}"),
    }
}

/// Records sent rows, one statement for all of them.
pub async fn mark_sent(shared: &Shared, ids: &[i64]) -> anyhow::Result<()> {
    sqlx::query("update deliveries set status = 'sent', sent_at = now(), attempt = attempt + 1 where id = any($1)")
        .bind(ids)
        .execute(&shared.pool)
        .await?;
    Ok(())
}

/// One peer configuration: a row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Peer {
    Graphile,
    GraphileBatchJobs,
    Apalis,
}

impl Peer {
    const ALL: [Peer; 3] = [Peer::Graphile, Peer::GraphileBatchJobs, Peer::Apalis];

    fn name(self) -> &'static str {
        match self {
            Peer::Graphile | Peer::GraphileBatchJobs => "graphile_worker 0.14",
            Peer::Apalis => "apalis 1.0 + apalis-postgres",
        }
    }

    fn settings(self) -> String {
        match self {
            Peer::Graphile => graphile::settings(false),
            Peer::GraphileBatchJobs => graphile::settings(true),
            Peer::Apalis => apalis_peer::settings(),
        }
    }
}

/// One peer's runs.
struct PeerRuns {
    peer: Peer,
    rates: Runs,
    cpu: ShareRuns,
    failed: Vec<String>,
}

pub async fn run(common: &Common, args: &DeliveryArgs, table: &mut Table) -> anyhow::Result<()> {
    let cluster = Cluster::new(&common.pg);
    let population = Population { subscribers: args.subscribers, tracks_due: false, sent_nudges: false };
    let (mut tend_runs, mut tend_cpu) = (Runs::default(), ShareRuns::default());
    let mut peers: Vec<PeerRuns> = Peer::ALL
        .into_iter()
        .map(|peer| PeerRuns { peer, rates: Runs::default(), cpu: ShareRuns::default(), failed: Vec::new() })
        .collect();
    for run in 0..common.runs {
        cluster.fresh(delivery::DB, population).await?;
        let m = delivery::run_tend(common, &cluster, args, 1).await?;
        eprintln!("peers run {}: tend {:.0}/s; {}; {}", run + 1, m.rate, m.check.summary(), m.cpu.summary());
        tend_runs.push(m.rate);
        tend_cpu.push(&m.cpu);
        for p in peers.iter_mut() {
            cluster.fresh(DB, population).await?;
            let (rate, check, cpu) = run_peer(common, &cluster, args, p.peer).await?;
            let what = format!("{} ({})", p.peer.name(), p.peer.settings());
            eprintln!("peers run {}: {what} {rate:.0}/s; {}; {}", run + 1, check.summary(), cpu.summary());
            if !check.ok() {
                p.failed.push(format!("{what}, run {}: {}", run + 1, check.summary()));
            }
            p.rates.push(rate);
            p.cpu.push(&cpu);
        }
    }
    let tend_median = tend_runs.median();
    table.add(Row {
        figure: format!(
            "tend, msg/s (N = {}, {} connections, record_batch {}, in the peer runs)",
            args.n, args.connections, args.record_batch
        ),
        runs: tend_runs,
        reference: None,
        target: String::new(),
        pass: None,
    });
    tend_cpu.rows(table, "tend's delivery in the peer runs");
    let mut failed = Vec::new();
    for p in peers {
        let peer = p.rates.median();
        let checks = if p.failed.is_empty() { "all checks passed" } else { "checks FAILED" };
        table.add(Row {
            figure: format!(
                "peer {} ({}), msg/s ({} in flight, {checks})",
                p.peer.name(),
                p.peer.settings(),
                args.connections
            ),
            runs: p.rates,
            reference: Some(("tend, same runs".into(), tend_median)),
            target: format!("tend faster (tend/peer {:.1}×)", tend_median / peer),
            pass: Some(tend_median > peer),
        });
        p.cpu.rows(table, &format!("{} ({})", p.peer.name(), p.peer.settings()));
        failed.extend(p.failed);
    }
    cluster.drop(DB).await?;
    cluster.drop(delivery::DB).await?;
    anyhow::ensure!(failed.is_empty(), "a peer lost or duplicated mail:\n{}", failed.join("\n"));
    Ok(())
}

/// One run of one peer: start-up first, then the timed window from the
/// commit that adds the jobs to the last row recorded.
async fn run_peer(
    common: &Common,
    cluster: &Cluster,
    args: &DeliveryArgs,
    peer: Peer,
) -> anyhow::Result<(f64, delivery::Check, Shares)> {
    let sink = Sink::start(&common.work, "peer").await?;
    let url = cluster.url(DB);
    let config =
        TendConfig { smtp_port: sink.port, connections: args.connections, batch_size: 1, ..TendConfig::web(&url, 1) };
    let config = write_config(&common.work, "peer", &config)?;
    let settings = tend::config::Settings::load(Some(&config))?;
    let pool = cluster.pool(DB, args.connections as u32 + 4).await?;
    let shared = Arc::new(shared(&settings, pool.clone())?);
    // Rows exist (to be checked like tend's) but only the queue sends them.
    sqlx::query(
        r#"insert into deliveries (subscriber_id, kind, track, variant, slot, due_at, answer_by)
           select id, 'nudge', 'check-in', $2, date_trunc('second', now()), now() + interval '1 year', now() + interval '3 days'
           from subscribers where id <= $1"#,
    )
    .bind(args.n)
    .bind(crate::db::first_variant())
    .execute(&pool)
    .await?;
    let mut running = match peer {
        Peer::Graphile | Peer::GraphileBatchJobs => graphile::start(&url, shared, args.connections).await?,
        Peer::Apalis => apalis_peer::start(cluster, DB, shared, args.connections).await?,
    };
    // The same time to reach its idle loop as tend gets.
    tokio::time::sleep(delivery::START_UP).await;
    let sides = vec![
        ("PostgreSQL", Side::postgres(&pool).await?),
        ("peer worker (this process)", Side::Processes(vec![std::process::id()])),
        ("smtp-sink", Side::Processes(vec![sink.pid()])),
    ];
    match running.apalis.as_mut() {
        Some(storage) => {
            let ids = sqlx::query_scalar("select id from deliveries where kind = 'nudge' order by id")
                .fetch_all(&pool)
                .await?;
            apalis_peer::enqueue(storage, ids).await?;
        }
        None => graphile::enqueue(&pool, peer == Peer::GraphileBatchJobs).await?,
    }
    let at = sqlx::query_scalar("select clock_timestamp()").fetch_one(&pool).await?;
    // From the jobs' commit, as the rate and as tend's window.
    let window = Window::start(sides);
    delivery::wait_until_settled(&pool, args.n).await?;
    let cpu = window.finish();
    let rate = delivery::rate_since(&pool, at, args.n).await?;
    running.task.abort();
    let received = sink.stop()?;
    let check = delivery::check(&pool, args.n, &received).await?;
    pool.close().await;
    Ok((rate, check, cpu))
}

fn shared(settings: &tend::config::Settings, pool: PgPool) -> anyhow::Result<Shared> {
    let catalog = Arc::new(tend::mail::Catalog::built_in());
    let signer = tend::domain::LinkSigner::new(&settings.security.link_keys)?;
    let links = tend::links::Links::new(settings.public_url(), signer);
    let mailer = Mailer::from_settings(&settings.mail)?;
    let lines = tend::mail::notes::OperatorLines::from(&settings.content);
    let composer = Composer::new(links, catalog.clone(), lines, &mailer.from_domain());
    let track = tend::domain::Track::parse("check-in")?;
    let nudge = catalog.variants(track)[0].clone();
    Ok(Shared { pool, composer, mailer, nudge })
}

/// A running peer worker, and for apalis the storage its jobs go into.
pub struct Running {
    task: tokio::task::JoinHandle<()>,
    apalis: Option<apalis_peer::Storage>,
}
