//! The store: every SQL statement tend runs, as plain async functions.
//!
//! There is one backend, so there is no repository trait: functions take a
//! pool or, when they are one step of a larger change, `&mut PgConnection`
//! from a transaction that the caller opens and commits where it can be seen.
//! Queries are checked at compile time (`sqlx::query!`, offline data in
//! `.sqlx/`). Instants in claims come from the database clock, `now()`.

use std::time::Duration;

use anyhow::Context;
use secrecy::ExposeSecret;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

use crate::config::DatabaseSettings;

pub mod admin;
pub mod answering;
pub mod answers;
pub mod deliveries;
pub mod gauges;
pub mod inbound;
pub mod links;
pub mod mail_context;
pub mod nudges;
pub mod partners;
pub mod planning;
pub mod promises;
pub mod requests;
pub mod subscribers;
pub mod tracks;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A pool that connects lazily, so the process starts (and reports not-ready)
/// even while PostgreSQL is still coming up.
pub fn connect_lazy(settings: &DatabaseSettings) -> anyhow::Result<PgPool> {
    PgPoolOptions::new()
        .max_connections(settings.max_connections)
        .acquire_timeout(settings.connect_timeout.as_std())
        .connect_lazy(settings.url.expose_secret())
        .context("failed to parse database.url")
}

/// A small pool to the same database whose sessions always use generic
/// plans, for the hot batched statements ([`answering`]): with a batch's
/// array parameters PostgreSQL otherwise re-plans them on every execution,
/// and planning cost as much as executing. Connects lazily, like `pool`,
/// with the same acquire timeout. The setting is a `SET` after connecting
/// rather than a startup parameter, which PgBouncer would refuse.
pub fn generic_plans(pool: &PgPool, connections: u32) -> PgPool {
    options_like(pool, connections)
        .after_connect(|conn, _| {
            Box::pin(async move {
                sqlx::query("set plan_cache_mode = force_generic_plan").execute(conn).await?;
                Ok(())
            })
        })
        .connect_lazy_with((*pool.connect_options()).clone())
}

/// A pool of its own to `pool`'s database, as large and as patient, for a
/// part that runs on a runtime of its own (the sender): a connection is
/// driven by the runtime that opened it, so sharing `pool` would hand every
/// query's wake-up to another thread. Call it on that runtime.
pub fn pool_for_own_runtime(pool: &PgPool) -> PgPool {
    options_like(pool, pool.options().get_max_connections()).connect_lazy_with((*pool.connect_options()).clone())
}

fn options_like(pool: &PgPool, connections: u32) -> PgPoolOptions {
    PgPoolOptions::new().max_connections(connections).acquire_timeout(pool.options().get_acquire_timeout())
}

pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    MIGRATOR.run(pool).await.context("failed to apply database migrations")
}

/// True when the database answers and every migration this binary knows is applied.
pub async fn is_ready(pool: &PgPool) -> bool {
    let check = async {
        // sqlx owns this table, so it is not part of the checked schema.
        let applied: i64 =
            sqlx::query_scalar("select count(*) from _sqlx_migrations where success").fetch_one(pool).await?;
        Ok::<_, sqlx::Error>(applied as usize >= MIGRATOR.iter().count())
    };
    matches!(tokio::time::timeout(Duration::from_secs(2), check).await, Ok(Ok(true)))
}

/// True if `err` is PostgreSQL's unique-violation (SQLSTATE 23505).
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    err.as_database_error().and_then(|e| e.code()).as_deref() == Some("23505")
}

/// The database clock. Every instant that decides when mail goes out is read
/// from here, so several instances never disagree about "now".
pub async fn now(conn: &mut sqlx::PgConnection) -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
    sqlx::query_scalar!(r#"select now() as "now!""#).fetch_one(conn).await.context("failed to read the database clock")
}
