//! Answers: wrk against `tend serve` with a million subscribers. POST
//! `/n/{token}` ("done") with distinct valid tokens, then GET the pages
//! (links as mailed now, which carry what the page shows, then the same
//! nudges' links as minted before that, whose pages read the database),
//! `--seconds` each; in the same run a minimal axum hello-world is the
//! ceiling for the GET ratio. tend's resident memory is sampled throughout.
//!
//! Every POST phase is checked against the database: each 2xx answer must
//! be a new row of `answers` (every token names a distinct unanswered
//! nudge), and no more rows may appear than requests were sent (wrk stops
//! with up to one request per connection in flight, which tend may still
//! record but wrk never counts). The benchmark fails otherwise. Then the
//! contended run ([`contended`]): two instances, a fifth of the requests
//! answering a track another request in flight also answers.

use std::path::Path;

use clap::Args;
use secrecy::SecretString;
use tend::domain::{LinkGeneration, PageFacts, Purpose, Track, variant_fingerprint};

use crate::Common;
use crate::cpu::{ShareRuns, Side, Window, full_machine_rate};
use crate::db::{Cluster, Population};
use crate::procs::{Process, TendConfig, write_config};
use crate::report::{Row, Runs, Table};
use crate::sink;

mod contended;
mod wrk;

pub use wrk::{Wrk, hello, wrk_with};
use wrk::{hello_ceiling, wrk};

#[derive(Args, Clone, Debug)]
pub struct AnswerArgs {
    #[arg(long, default_value_t = 1_000_000)]
    pub subscribers: i64,
    #[arg(long, default_value_t = 10)]
    pub seconds: u32,
    /// wrk connections for the POSTs (the write path).
    #[arg(long, default_value_t = 16)]
    pub post_connections: usize,
    /// wrk connections for the GETs and the hello-world.
    #[arg(long, default_value_t = 32)]
    pub get_connections: usize,
    /// Distinct answer tokens handed to wrk.
    #[arg(long, default_value_t = 400_000)]
    pub tokens: i64,
}

impl Default for AnswerArgs {
    fn default() -> Self {
        Self { subscribers: 1_000_000, seconds: 10, post_connections: 16, get_connections: 32, tokens: 400_000 }
    }
}

const DB: &str = "bench_answers";
/// tend's development key (config/default.toml), which the benchmark's
/// `environment = "local"` accepts.
const LINK_KEY: &str = "development-only-link-key-change-me-in-production";

#[derive(Default)]
struct Figures {
    post: Runs,
    post_p50: Runs,
    post_p99: Runs,
    get: Runs,
    get_p99: Runs,
    get_db: Runs,
    get_db_p99: Runs,
    hello: Runs,
    peak: Runs,
    steady: Runs,
    contended: Runs,
    contended_p99: Runs,
    post_cpu: ShareRuns,
    post_machine_us: Runs,
    post_server_us: Runs,
    get_cpu: ShareRuns,
    contended_cpu: ShareRuns,
}

pub async fn run(common: &Common, args: &AnswerArgs, table: &mut Table) -> anyhow::Result<()> {
    let cluster = Cluster::new(&common.pg);
    let population = Population { subscribers: args.subscribers, tracks_due: false, sent_nudges: true };
    let mut f = Figures::default();
    let mut failures = 0;
    for run in 0..common.runs {
        cluster.fresh(DB, population).await?;
        let port = sink::free_port()?;
        let url = cluster.url(DB);
        let config = TendConfig { connections: 4, db_connections: 8, ..TendConfig::web(&url, port) };
        let config = write_config(&common.work, "answers", &config)?;
        let tokens = write_tokens(&cluster, port, args.tokens, &common.work.join("tokens.txt")).await?;
        let tend = Process::tend(&common.tend_bin, &config, &["--no-scheduler"])?;
        sink::wait_for_port(port).await?;
        tend.reset_samples();
        let postgres = postgres_side(&cluster).await?;
        let sides = || vec![("PostgreSQL", postgres.clone()), ("tend", Side::Processes(vec![tend.pid()]))];
        let before = count_answers(&cluster).await?;
        let window = Window::start(sides());
        let post = wrk(port, "post", &tokens, args.post_connections, args.seconds).await?;
        let shares = window.finish();
        f.post_machine_us.push(shares.machine_micros_each(post.requests));
        f.post_server_us.push(shares.sides_micros_each(post.requests));
        f.post_cpu.push(&shares);
        let recorded = settled_count(&cluster, before).await?;
        check_recorded("POST", &post, recorded)?;
        let window = Window::start(sides());
        let get = wrk(port, "get", &tokens, args.get_connections, args.seconds).await?;
        f.get_cpu.push(&window.finish());
        let get_db = wrk(port, "get", &older_links(&tokens), args.get_connections, args.seconds).await?;
        let (peak, steady) = tend.memory();
        tend.stop().await?;
        let (contended, contended_cpu) = contended::run(common, &cluster, population, args).await?;
        f.contended_cpu.push(&contended_cpu);
        let hello = hello_ceiling(args).await?;
        eprintln!(
            "answers run {}: POST {post:?} ({recorded} answers recorded), GET {get:?}, GET via the database \
             {get_db:?}, contended POST {contended:?}, hello {hello:?}",
            run + 1
        );
        failures += post.failed + get.failed + get_db.failed;
        f.post.push(post.rps);
        f.post_p50.push(post.p50_ms);
        f.post_p99.push(post.p99_ms);
        f.get.push(get.rps);
        f.get_p99.push(get.p99_ms);
        f.get_db.push(get_db.rps);
        f.get_db_p99.push(get_db.p99_ms);
        f.hello.push(hello.rps);
        f.peak.push(peak);
        f.steady.push(steady);
        f.contended.push(contended.rps);
        f.contended_p99.push(contended.p99_ms);
    }
    add_rows(table, args, f, failures);
    cluster.drop(DB).await
}

/// What one answer cost, and the rate that cost allows on this machine with
/// every core busy: a rate target above it is out of reach without less
/// work per answer (or more cores), however the waiting is arranged.
fn cost_rows(table: &mut Table, machine_us: Runs, server_us: Runs) {
    let allowed = Runs(machine_us.0.iter().map(|&us| full_machine_rate(us)).collect());
    let rows = [
        ("answer POST: machine CPU per answer, µs (PostgreSQL, tend, wrk and the rest)", machine_us, ""),
        ("answer POST: PostgreSQL and tend CPU per answer, µs", server_us, ""),
        (
            "answer POST rate the CPU allows, req/s (every core busy at that cost per answer)",
            allowed,
            "≥ 15,000/s needed",
        ),
    ];
    for (figure, runs, target) in rows {
        table.add(Row::note(figure, runs, target));
    }
}

fn add_rows(table: &mut Table, args: &AnswerArgs, f: Figures, failures: i64) {
    let pc = args.post_connections;
    let post_pass = f.post.median() >= 15_000.0 && failures == 0;
    table.add(Row {
        figure: format!("answer POST /n/{{token}}, req/s ({pc} connections)"),
        runs: f.post,
        reference: None,
        target: "≥ 15,000/s (issue 21), no errors".into(),
        pass: Some(post_pass),
    });
    let p99_pass = f.post_p99.median() < 10.0;
    table.add(Row {
        figure: format!(
            "answer POST, contended: 2 instances × {} connections, 20% of requests share a track with another in \
             flight, req/s (recorded = requested)",
            pc / 2
        ),
        runs: f.contended,
        reference: None,
        target: "beside the main row".into(),
        pass: None,
    });
    table.add(Row {
        figure: "answer POST, contended p99, ms".into(),
        runs: f.contended_p99,
        reference: None,
        target: "".into(),
        pass: None,
    });
    f.contended_cpu.rows(table, "the contended POSTs");
    f.post_cpu.rows(table, "the POSTs");
    cost_rows(table, f.post_machine_us, f.post_server_us);
    f.get_cpu.rows(table, "the GETs (links as mailed)");
    table.add(Row {
        figure: "answer POST p50, ms".into(),
        runs: f.post_p50,
        reference: None,
        target: "".into(),
        pass: None,
    });
    table.add(Row {
        figure: "answer POST p99, ms".into(),
        runs: f.post_p99,
        reference: None,
        target: "< 10 ms (issue 21)".into(),
        pass: Some(p99_pass),
    });
    let hello = f.hello.median();
    let get_pass = f.get.median() >= 0.5 * hello;
    table.add(Row {
        figure: format!("answer page GET /n/{{token}}, req/s ({} connections)", args.get_connections),
        runs: f.get,
        reference: Some(("axum hello-world".into(), hello)),
        target: "≥ 0.5 × hello-world".into(),
        pass: Some(get_pass),
    });
    table.add(Row {
        figure: "answer page GET p99, ms".into(),
        runs: f.get_p99,
        reference: None,
        target: "".into(),
        pass: None,
    });
    table.add(Row {
        figure: format!("answer page GET via the database (older links), req/s ({} connections)", args.get_connections),
        runs: f.get_db,
        reference: Some(("axum hello-world".into(), hello)),
        target: "".into(),
        pass: None,
    });
    table.add(Row {
        figure: "answer page GET via the database p99, ms".into(),
        runs: f.get_db_p99,
        reference: None,
        target: "".into(),
        pass: None,
    });
    table.add(Row {
        figure: "ceiling: axum hello-world GET, req/s".into(),
        runs: f.hello,
        reference: None,
        target: "".into(),
        pass: None,
    });
    crate::delivery::memory_rows(table, "answers", args.subscribers, f.peak, f.steady);
}

/// The first `count` unanswered sent nudges' answer paths, signed as tend
/// signs them (with the page facts the mails carry).
async fn write_tokens(cluster: &Cluster, port: u16, count: i64, path: &Path) -> anyhow::Result<std::path::PathBuf> {
    let pool = cluster.pool(DB, 2).await?;
    let rows: Vec<(i64, chrono::DateTime<chrono::Utc>, i64, String, String)> = sqlx::query_as(
        "select id, slot, subscriber_id, track, variant from deliveries d where kind = 'nudge' and status = 'sent'
           and not exists (select from answers a where a.delivery_id = d.id) order by id limit $1",
    )
    .bind(count)
    .fetch_all(&pool)
    .await?;
    pool.close().await;
    let base = format!("http://127.0.0.1:{port}");
    let signer = tend::domain::LinkSigner::new(&[SecretString::from(LINK_KEY)])?;
    let links = tend::links::Links::new(&base, signer);
    let mut text = String::with_capacity(rows.len() * 70);
    let mut older = String::with_capacity(rows.len() * 50);
    for (id, slot, subscriber_id, track, variant) in rows {
        let page = PageFacts { subscriber_id, track: Track::parse(&track)?, variant: variant_fingerprint(&variant) };
        text.push_str(links.answer(id, LinkGeneration::FIRST, slot, &page).trim_start_matches(&base));
        text.push('\n');
        let token = links.signer().sign_layout1(Purpose::Answer, id, slot + tend::links::ANSWER_TTL);
        older.push_str(&format!("/n/{token}\n"));
    }
    std::fs::write(path, text)?;
    std::fs::write(older_links(path), older)?;
    Ok(path.to_owned())
}

/// Where `write_tokens` puts the same nudges' links as minted before page
/// facts (their pages read the database).
fn older_links(path: &Path) -> std::path::PathBuf {
    path.with_extension("older.txt")
}

/// PostgreSQL's processes, for the CPU shares.
async fn postgres_side(cluster: &Cluster) -> anyhow::Result<Side> {
    let pool = cluster.pool(DB, 1).await?;
    let side = Side::postgres(&pool).await;
    pool.close().await;
    side
}

async fn count_answers(cluster: &Cluster) -> anyhow::Result<i64> {
    let pool = cluster.pool(DB, 1).await?;
    let n = sqlx::query_scalar("select count(*) from answers").fetch_one(&pool).await?;
    pool.close().await;
    Ok(n)
}

/// New rows of `answers` since `before`, once the requests wrk left in
/// flight have finished (two reads 200 ms apart agree, within 5 s).
async fn settled_count(cluster: &Cluster, before: i64) -> anyhow::Result<i64> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let mut last = count_answers(cluster).await?;
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let now = count_answers(cluster).await?;
        if now == last || std::time::Instant::now() > deadline {
            return Ok(now - before);
        }
        last = now;
    }
}

/// Recorded = requested: every 2xx answer is a new row, and no row appears
/// that no request asked for. Fails the benchmark otherwise.
fn check_recorded(phase: &str, wrk: &Wrk, recorded: i64) -> anyhow::Result<()> {
    let ok = (wrk.requests as i64) - wrk.failed;
    let issued = wrk.issued as i64;
    eprintln!("{phase}: {ok} answers acknowledged (2xx), {issued} sent, {recorded} recorded");
    if recorded < ok {
        anyhow::bail!("{phase}: {ok} answers were acknowledged but only {recorded} recorded: answers were lost");
    }
    if recorded > issued {
        anyhow::bail!("{phase}: {recorded} answers recorded but only {issued} requests were sent");
    }
    Ok(())
}
