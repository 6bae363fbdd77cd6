//! Link generations: the one piece of state a link needs. Every link
//! carries the generation it was minted in; these read the current one
//! (by primary key) and move it on, which switches off every earlier link.

use anyhow::Context;
use sqlx::{PgConnection, PgExecutor};

use crate::domain::{LinkGeneration, Locale};

/// A subscriber's current link generation and the language their pages
/// are in, or `None` if they are gone.
#[tracing::instrument(skip_all, fields(subscriber_id = id))]
pub async fn generation(db: impl PgExecutor<'_>, id: i64) -> anyhow::Result<Option<(LinkGeneration, Locale)>> {
    sqlx::query!(r#"select link_generation, locale from subscribers where id = $1"#, id)
        .fetch_optional(db)
        .await
        .context("failed to read a link generation")?
        .map(|r| Ok((LinkGeneration::from_stored(r.link_generation)?, Locale::or_en(&r.locale))))
        .transpose()
}

/// The current generations of several subscribers in one statement (the
/// answer pages' batch); ids of subscribers who are gone are left out.
pub async fn generations(db: impl PgExecutor<'_>, ids: &[i64]) -> anyhow::Result<Vec<(i64, LinkGeneration)>> {
    let rows = sqlx::query!(r#"select id, link_generation from subscribers where id = any($1)"#, ids)
        .fetch_all(db)
        .await
        .context("failed to read link generations")?;
    rows.into_iter().map(|r| Ok((r.id, LinkGeneration::from_stored(r.link_generation)?))).collect()
}

/// The generation of the subscriber a delivery (an answer or promise
/// link's subject) belongs to, with that subscriber's id.
#[tracing::instrument(skip_all, fields(delivery_id))]
pub async fn generation_of_delivery(
    db: impl PgExecutor<'_>,
    delivery_id: i64,
) -> anyhow::Result<Option<(i64, LinkGeneration)>> {
    let row = sqlx::query!(
        r#"select s.id, s.link_generation from deliveries d join subscribers s on s.id = d.subscriber_id
           where d.id = $1"#,
        delivery_id
    )
    .fetch_optional(db)
    .await
    .context("failed to read a delivery's link generation")?;
    row.map(|r| Ok((r.id, LinkGeneration::from_stored(r.link_generation)?))).transpose()
}

/// Moves a subscriber to the next generation: every link minted before
/// stops working (unsubscribe links excepted). Returns the new generation.
#[tracing::instrument(skip_all, fields(subscriber_id = id))]
pub async fn bump(conn: &mut PgConnection, id: i64) -> anyhow::Result<LinkGeneration> {
    let generation = sqlx::query_scalar!(
        r#"update subscribers set link_generation = link_generation + 1 where id = $1 returning link_generation"#,
        id
    )
    .fetch_one(conn)
    .await
    .context("failed to switch off a subscriber's links")?;
    LinkGeneration::from_stored(generation)
}
