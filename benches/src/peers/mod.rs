//! Peers: the delivery job done the way a team would do it with an
//! off-the-shelf PostgreSQL job queue. One job per due nudge; the handler
//! loads the row, renders the same message with tend's composer, sends it
//! with the same lettre setup (tend's NODELAY connection pool) and records
//! it as sent. Same database, sink, N and checks as tend's run.

use std::sync::Arc;

use sqlx::PgPool;
use tend::domain::mail::{DeliveryRef, MailBody, MailContext, Recipient};
use tend::domain::{LinkGeneration, Locale, SubscriberEmail};
use tend::mail::{Composer, Mailer, Nudge, SendOutcome};

use crate::Common;
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

/// The job's body, the same for both queues.
pub async fn send_one(shared: &Shared, delivery_id: i64) -> anyhow::Result<()> {
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
        SendOutcome::Sent { .. } => {
            sqlx::query("update deliveries set status = 'sent', sent_at = now(), attempt = attempt + 1 where id = $1")
                .bind(delivery_id)
                .execute(&shared.pool)
                .await?;
            Ok(())
        }
        other => anyhow::bail!("not sent: {other:?}"),
    }
}

pub async fn run(common: &Common, args: &DeliveryArgs, table: &mut Table) -> anyhow::Result<()> {
    let cluster = Cluster::new(&common.pg);
    let population = Population { subscribers: args.subscribers, tracks_due: false, sent_nudges: false };
    let mut tend_runs = Runs::default();
    let mut results: Vec<(&str, Runs, bool)> =
        vec![("graphile_worker", Runs::default(), true), ("apalis", Runs::default(), true)];
    for run in 0..common.runs {
        cluster.fresh(delivery::DB, population).await?;
        let m = delivery::run_tend(common, &cluster, args, 1).await?;
        eprintln!("peers run {}: tend {:.0}/s; {}", run + 1, m.rate, m.check.summary());
        tend_runs.push(m.rate);
        for (name, runs, ok) in results.iter_mut() {
            cluster.fresh(DB, population).await?;
            let (rate, check) = run_peer(common, &cluster, args, name).await?;
            eprintln!("peers run {}: {name} {rate:.0}/s; {}", run + 1, check.summary());
            *ok &= check.ok();
            runs.push(rate);
        }
    }
    let tend_median = tend_runs.median();
    for (name, runs, ok) in results {
        let peer = runs.median();
        table.add(Row {
            figure: format!(
                "peer {name}, msg/s ({} in flight, all checks {})",
                args.connections,
                if ok { "passed" } else { "FAILED" }
            ),
            runs,
            reference: Some(("tend, same runs".into(), tend_median)),
            target: "tend faster".into(),
            pass: Some(tend_median > peer),
        });
    }
    cluster.drop(DB).await?;
    cluster.drop(delivery::DB).await
}

async fn run_peer(
    common: &Common,
    cluster: &Cluster,
    args: &DeliveryArgs,
    name: &str,
) -> anyhow::Result<(f64, delivery::Check)> {
    let sink = Sink::start(&common.work, name).await?;
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
    let started = match name {
        "graphile_worker" => graphile::start(&url, &pool, shared, args.connections).await?,
        _ => apalis_peer::start(cluster, DB, shared, args.connections).await?,
    };
    delivery::wait_until_settled(&pool, args.n).await?;
    let rate = delivery::rate_since(&pool, started.at, args.n).await?;
    started.stop();
    let received = sink.stop()?;
    let check = delivery::check(&pool, args.n, &received).await?;
    pool.close().await;
    Ok((rate, check))
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

/// A running peer worker: when its jobs became due, and how to stop it.
pub struct Started {
    pub at: chrono::DateTime<chrono::Utc>,
    pub task: tokio::task::JoinHandle<()>,
}

impl Started {
    fn stop(self) {
        self.task.abort();
    }
}
