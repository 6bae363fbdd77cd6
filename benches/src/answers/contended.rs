//! The contended answer run: two `tend serve` instances on one database,
//! half of the POST connections each, where every fifth request answers a
//! nudge of one of a few "hot" tracks that requests on the other instance
//! are answering at the same moment. Inside one instance answers to one
//! track are applied in order within a batch and batches run one at a
//! time, so only a second instance makes the write's fence (the track
//! row's `xmin`) refuse a stale read and the batch retry from its read:
//! this run puts that path under load. Every token names a distinct
//! nudge, so each 2xx must be a new row of `answers`, checked as in the
//! main run; the retries are counted as the database's rolled-back
//! transactions.

use std::path::PathBuf;

use secrecy::SecretString;
use tend::domain::{LinkGeneration, PageFacts, Track, variant_fingerprint};

use super::wrk::wrk_blocking;
use super::{AnswerArgs, DB, LINK_KEY, Wrk, check_recorded, count_answers, postgres_side, settled_count};
use crate::Common;
use crate::cpu::{Shares, Side, Window};
use crate::db::{Cluster, Population};
use crate::procs::{Process, TendConfig, write_config};
use crate::sink;

/// Tracks every instance answers at once: few enough that a hot request
/// usually meets another request to the same track in flight.
const HOT_TRACKS: i64 = 16;
/// Every n-th request is to a hot track (20%).
const HOT_EVERY: usize = 5;

/// The two instances' POSTs added up (p50 and p99 the worse instance's),
/// and the CPU shares of the timed window.
pub async fn run(
    common: &Common,
    cluster: &Cluster,
    population: Population,
    args: &AnswerArgs,
) -> anyhow::Result<(Wrk, Shares)> {
    cluster.fresh(DB, population).await?;
    let ports = [sink::free_port()?, sink::free_port()?];
    let lines = contended_lines(cluster, args.tokens).await?;
    let half = lines.len() / 2;
    let files = [
        write_lines(common, "contended-a.txt", &lines[..half])?,
        write_lines(common, "contended-b.txt", &lines[half..])?,
    ];
    let url = cluster.url(DB);
    let mut instances = Vec::new();
    for (i, port) in ports.iter().enumerate() {
        let config = TendConfig { connections: 4, db_connections: 8, ..TendConfig::web(&url, *port) };
        let config = write_config(&common.work, &format!("answers-{i}"), &config)?;
        instances.push(Process::tend(&common.tend_bin, &config, &["--no-scheduler"])?);
        sink::wait_for_port(*port).await?;
    }
    let before = count_answers(cluster).await?;
    let rollbacks_before = rollbacks(cluster).await?;
    let connections = (args.post_connections / 2).max(1);
    let seconds = args.seconds;
    let pids = instances.iter().map(Process::pid).collect();
    let window = Window::start(vec![("PostgreSQL", postgres_side(cluster).await?), ("tend", Side::Processes(pids))]);
    let runs: Vec<anyhow::Result<Wrk>> = std::thread::scope(|scope| {
        let handles: Vec<_> = ports
            .iter()
            .zip(&files)
            .map(|(port, file)| {
                let env = [("TOKENS", file.display().to_string())];
                scope.spawn(move || wrk_blocking(*port, "post", connections, seconds, &env))
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("wrk thread")).collect()
    });
    let cpu = window.finish();
    let recorded = settled_count(cluster, before).await?;
    let retries = rollbacks(cluster).await? - rollbacks_before;
    for instance in instances {
        instance.stop().await?;
    }
    let [a, b] = [runs[0].as_ref().map_err(clone_err)?, runs[1].as_ref().map_err(clone_err)?];
    let both = Wrk {
        requests: a.requests + b.requests,
        issued: a.issued + b.issued,
        rps: a.rps + b.rps,
        p50_ms: a.p50_ms.max(b.p50_ms),
        p99_ms: a.p99_ms.max(b.p99_ms),
        failed: a.failed + b.failed,
    };
    eprintln!("contended POST: {retries} rolled-back statements (fenced retries) during the run");
    check_recorded("contended POST", &both, recorded)?;
    Ok((both, cpu))
}

fn clone_err(e: &anyhow::Error) -> anyhow::Error {
    anyhow::anyhow!("{e:#}")
}

/// The answer paths in request order: every `HOT_EVERY`-th one a fresh
/// nudge of one of the hot subscribers' check-in track (added here, a
/// second apart, two days back), the others distinct subscribers' unanswered nudges.
async fn contended_lines(cluster: &Cluster, count: i64) -> anyhow::Result<Vec<String>> {
    let pool = cluster.pool(DB, 2).await?;
    type Nudge = (i64, chrono::DateTime<chrono::Utc>, i64, String, String);
    let cold: Vec<Nudge> = sqlx::query_as(
        "select id, slot, subscriber_id, track, variant from deliveries d where kind = 'nudge' and status = 'sent'
           and not exists (select from answers a where a.delivery_id = d.id) order by id limit $1",
    )
    .bind(count)
    .fetch_all(&pool)
    .await?;
    let hot_subscribers: Vec<i64> = cold.iter().take(HOT_TRACKS as usize).map(|n| n.2).collect();
    let per_track = (count / HOT_EVERY as i64) / HOT_TRACKS + 1;
    let hot: Vec<Nudge> = sqlx::query_as(
        "insert into deliveries (subscriber_id, kind, track, variant, slot, due_at, status, attempt, sent_at, answer_by)
         select s.id, 'nudge', 'check-in', $2, date_trunc('minute', now()) - interval '2 days' - g * interval '1 second', now(), 'sent', 1,
                now(), now() + interval '30 days'
         from unnest($1::bigint[]) s(id) cross join generate_series(1, $3) g
         order by g, s.id
         returning id, slot, subscriber_id, track, variant",
    )
    .bind(&hot_subscribers)
    .bind(crate::db::first_variant())
    .bind(per_track)
    .fetch_all(&pool)
    .await?;
    sqlx::query("analyze deliveries").execute(&pool).await?;
    pool.close().await;
    let base = "http://bench.invalid";
    let links = tend::links::Links::new(base, tend::domain::LinkSigner::new(&[SecretString::from(LINK_KEY)])?);
    let mut hot = hot.into_iter();
    let mut cold = cold.into_iter().filter(|n| !hot_subscribers.contains(&n.2));
    let mut lines = Vec::with_capacity(count as usize);
    for i in 0..count as usize {
        let next = if i % HOT_EVERY == 0 { hot.next() } else { cold.next() };
        let Some(nudge) = next else { break };
        let (id, slot, subscriber_id, track, variant) = nudge;
        let page = PageFacts { subscriber_id, track: Track::parse(&track)?, variant: variant_fingerprint(&variant) };
        lines.push(links.answer(id, LinkGeneration::FIRST, slot, &page).trim_start_matches(base).to_owned());
    }
    Ok(lines)
}

fn write_lines(common: &Common, name: &str, lines: &[String]) -> anyhow::Result<PathBuf> {
    let path: PathBuf = common.work.join(name);
    std::fs::write(&path, lines.join("\n") + "\n")?;
    Ok(path)
}

/// Statements rolled back in the benchmark database so far (a fenced
/// write that found its read stale is one).
async fn rollbacks(cluster: &Cluster) -> anyhow::Result<i64> {
    let pool = cluster.pool(DB, 1).await?;
    let n = sqlx::query_scalar("select xact_rollback from pg_stat_database where datname = $1")
        .bind(DB)
        .fetch_one(&pool)
        .await?;
    pool.close().await;
    Ok(n)
}
