//! Benchmark databases. Seeding a million subscribers takes a while with
//! fsync on, so each population is seeded once into a template database and
//! every run works on a fresh clone of it (`create database … template …`,
//! file copy), never on state a previous run changed.

use anyhow::Context;
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgConnection, PgPool};

/// What a template holds. Subscribers are active and confirmed, ids 1..=n,
/// each with three tracks.
#[derive(Debug, Clone, Copy)]
pub struct Population {
    pub subscribers: i64,
    /// Tracks due now (for the planner) rather than in a month.
    pub tracks_due: bool,
    /// One sent, unanswered nudge per subscriber (for the answer pages),
    /// after a day of history: yesterday's nudge, 60% of them answered.
    pub sent_nudges: bool,
}

impl Population {
    fn template_name(&self) -> String {
        format!(
            "bench_tpl_v2_{}_{}{}",
            self.subscribers,
            if self.tracks_due { "due" } else { "later" },
            if self.sent_nudges { "_sent" } else { "" }
        )
    }
}

pub struct Cluster {
    base: String,
}

impl Cluster {
    pub fn new(base: &str) -> Self {
        Self { base: base.trim_end_matches('/').to_owned() }
    }

    pub fn url(&self, database: &str) -> String {
        format!("{}/{database}", self.base)
    }

    async fn admin(&self) -> anyhow::Result<PgConnection> {
        PgConnection::connect(&self.url("postgres")).await.context("cannot reach the benchmark PostgreSQL")
    }

    pub async fn pool(&self, database: &str, size: u32) -> anyhow::Result<PgPool> {
        PgPoolOptions::new()
            .max_connections(size)
            .connect(&self.url(database))
            .await
            .with_context(|| format!("cannot connect to {database}"))
    }

    /// A fresh database `name` holding `population`, migrated to tend's
    /// current schema.
    pub async fn fresh(&self, name: &str, population: Population) -> anyhow::Result<()> {
        let template = population.template_name();
        self.ensure_template(&template, population).await?;
        let mut admin = self.admin().await?;
        sqlx::query(&format!("drop database if exists {name} with (force)")).execute(&mut admin).await?;
        sqlx::query(&format!("create database {name} template {template} strategy file_copy"))
            .execute(&mut admin)
            .await
            .with_context(|| format!("cannot clone {template}"))?;
        Ok(())
    }

    pub async fn drop(&self, name: &str) -> anyhow::Result<()> {
        let mut admin = self.admin().await?;
        sqlx::query(&format!("drop database if exists {name} with (force)")).execute(&mut admin).await?;
        Ok(())
    }

    async fn ensure_template(&self, name: &str, population: Population) -> anyhow::Result<()> {
        let mut admin = self.admin().await?;
        let exists: bool = sqlx::query_scalar("select exists(select 1 from pg_database where datname = $1)")
            .bind(name)
            .fetch_one(&mut admin)
            .await?;
        if exists {
            let pool = self.pool(name, 2).await?;
            let fresh: Option<bool> =
                sqlx::query_scalar("select seeded_at > now() - interval '7 days' from bench_meta")
                    .fetch_optional(&pool)
                    .await
                    .unwrap_or(None);
            if fresh == Some(true) {
                // New migrations from the tree under test still apply.
                tend::store::migrate(&pool).await?;
                pool.close().await;
                return Ok(());
            }
            pool.close().await;
            sqlx::query(&format!("drop database {name} with (force)")).execute(&mut admin).await?;
        }
        eprintln!("seeding template {name} (once; later runs clone it)");
        sqlx::query(&format!("create database {name}")).execute(&mut admin).await?;
        let pool = self.pool(name, 2).await?;
        tend::store::migrate(&pool).await?;
        seed(&pool, population).await?;
        sqlx::query("create table bench_meta as select now() as seeded_at").execute(&pool).await?;
        sqlx::query("vacuum analyze").execute(&pool).await?;
        pool.close().await;
        Ok(())
    }
}

async fn seed(pool: &PgPool, p: Population) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    // Local times spread over the day and a few zones, like real people.
    sqlx::query(
        r#"insert into subscribers (email, mailbox, timezone, send_time, status, confirmed_at)
           select 'sub' || g || '@bench.example', 'sub' || g || '@bench.example',
                  (array['Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'UTC'])[1 + g % 4],
                  time '06:00' + (g % 900) * interval '1 minute', 'active', now()
           from generate_series(1, $1) g"#,
    )
    .bind(p.subscribers)
    .execute(pool)
    .await
    .context("seeding subscribers")?;
    let due = if p.tracks_due { "now() - interval '10 minutes'" } else { "now() + interval '30 days'" };
    sqlx::query(&format!(
        r#"insert into subscriber_tracks (subscriber_id, track, interval_days, next_due_at)
           select s.id, t.track, t.days, {due}
           from subscribers s
           cross join (values ('check-in', 3), ('follow-through', 1), ('transparency', 1)) t(track, days)"#
    ))
    .execute(pool)
    .await
    .context("seeding tracks")?;
    if p.sent_nudges {
        sqlx::query(
            r#"insert into deliveries (subscriber_id, kind, track, variant, slot, due_at, status, attempt, sent_at, answer_by)
               select id, 'nudge', 'check-in', $1, date_trunc('minute', now()), now(), 'sent', 1, now(),
                      now() + interval '30 days'
               from subscribers"#,
        )
        .bind(first_variant())
        .execute(pool)
        .await
        .context("seeding sent nudges")?;
        seed_history(pool).await?;
    }
    eprintln!("seeded {p:?} in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Yesterday's nudges, 60% of them answered, so that the answer pages run
/// against the tables of a list in use rather than an empty `answers` table
/// (which PostgreSQL plans as a sequential scan, and keeps planning so in a
/// cached generic plan until autovacuum next analyzes it).
async fn seed_history(pool: &PgPool) -> anyhow::Result<()> {
    sqlx::query(
        r#"insert into deliveries (subscriber_id, kind, track, variant, slot, due_at, status, attempt, sent_at, answer_by)
           select id, 'nudge', 'follow-through', $1, date_trunc('minute', now()) - interval '1 day',
                  now() - interval '1 day', 'sent', 1, now() - interval '1 day', now() + interval '29 days'
           from subscribers"#,
    )
    .bind(variant_of("follow-through"))
    .execute(pool)
    .await
    .context("seeding yesterday's nudges")?;
    sqlx::query(
        r#"insert into answers (delivery_id, subscriber_id, track, action, answered_at)
           select id, subscriber_id, track, (array['done', 'partly', 'not_yet'])[1 + id % 3], sent_at + interval '2 hours'
           from deliveries where kind = 'nudge' and track = 'follow-through' and id % 5 < 3"#,
    )
    .execute(pool)
    .await
    .context("seeding yesterday's answers")?;
    Ok(())
}

/// A check-in variant the built-in catalog really has.
pub fn first_variant() -> String {
    variant_of("check-in")
}

fn variant_of(track: &str) -> String {
    let track = tend::domain::Track::parse(track).expect("a built-in track");
    tend::mail::Catalog::built_in().variants(track)[0].variant.clone()
}
