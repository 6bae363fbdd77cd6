//! Promises: sealed text, due instant, and the two answers; and the batches
//! `tend keys reseal` moves to the sealing key.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};

use crate::domain::promise::{CheckAnswer, Outcome};
use crate::domain::{DeliveryKind, PromiseMail};
use crate::sealing::{Binding, Format, Sealed};

#[derive(Debug, Clone)]
pub struct PromiseRow {
    pub id: i64,
    pub subscriber_id: i64,
    pub sealed: Sealed,
    pub due_at: DateTime<Utc>,
    pub check_answer: Option<CheckAnswer>,
    pub outcome: Option<Outcome>,
}

struct Row {
    id: i64,
    subscriber_id: i64,
    text_sealed: Vec<u8>,
    text_nonce: Vec<u8>,
    text_format: i16,
    text_key_id: Option<i64>,
    due_at: DateTime<Utc>,
    check_answer: Option<String>,
    outcome: Option<String>,
}

impl PromiseRow {
    /// What the promise's text is sealed for.
    pub fn binding(&self) -> Binding {
        Binding { subscriber_id: self.subscriber_id, promise_id: self.id }
    }
}

/// `text_format` and `text_key_id` as stored: 0 and null before binding.
fn format_columns(format: Format) -> (i16, Option<i64>) {
    match format {
        Format::Unbound => (0, None),
        Format::Bound { key_id } => (1, Some(key_id)),
    }
}

fn format_of(format: i16, key_id: Option<i64>) -> Format {
    match (format, key_id) {
        (1, Some(key_id)) => Format::Bound { key_id },
        // The column's check allows nothing else; an unbound read of a bound
        // text fails to open, it never shows the wrong words.
        _ => Format::Unbound,
    }
}

impl From<Row> for PromiseRow {
    fn from(r: Row) -> Self {
        PromiseRow {
            id: r.id,
            subscriber_id: r.subscriber_id,
            sealed: Sealed {
                ciphertext: r.text_sealed,
                nonce: r.text_nonce,
                format: format_of(r.text_format, r.text_key_id),
            },
            due_at: r.due_at,
            check_answer: r.check_answer.as_deref().and_then(CheckAnswer::parse),
            outcome: r.outcome.as_deref().and_then(Outcome::parse),
        }
    }
}

/// The id the next promise gets: its text is sealed for it before the row exists.
pub async fn next_id(conn: &mut PgConnection) -> anyhow::Result<i64> {
    sqlx::query_scalar!(r#"select nextval(pg_get_serial_sequence('promises', 'id')) as "id!""#)
        .fetch_one(conn)
        .await
        .context("failed to take a promise id")
}

/// Stores a promise under the id [`next_id`] gave.
pub async fn insert(
    conn: &mut PgConnection,
    id: i64,
    subscriber_id: i64,
    sealed: &Sealed,
    due_at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let (format, key_id) = format_columns(sealed.format);
    sqlx::query!(
        r#"insert into promises (id, subscriber_id, text_sealed, text_nonce, text_format, text_key_id, due_at)
           overriding system value values ($1, $2, $3, $4, $5, $6, $7)"#,
        id,
        subscriber_id,
        sealed.ciphertext,
        sealed.nonce,
        format,
        key_id,
        due_at
    )
    .execute(conn)
    .await
    .context("failed to store a promise")?;
    Ok(())
}

pub async fn get(db: impl PgExecutor<'_>, id: i64) -> anyhow::Result<Option<PromiseRow>> {
    let row = sqlx::query_as!(
        Row,
        r#"select id, subscriber_id, text_sealed, text_nonce, text_format, text_key_id, due_at, check_answer, outcome
           from promises where id = $1"#,
        id
    )
    .fetch_optional(db)
    .await
    .context("failed to load a promise")?;
    Ok(row.map(PromiseRow::from))
}

/// The promise a promise mail (a delivery) is about, and which of the two
/// mails it is. `None` if there is no such promise mail.
pub async fn for_delivery(
    db: impl PgExecutor<'_>,
    delivery_id: i64,
) -> anyhow::Result<Option<(PromiseMail, PromiseRow)>> {
    let row = sqlx::query!(
        r#"select d.kind as "kind: DeliveryKind", p.id, p.subscriber_id, p.text_sealed, p.text_nonce, p.text_format,
                  p.text_key_id, p.due_at, p.check_answer, p.outcome
           from deliveries d join promises p on p.id = d.promise_id
           where d.id = $1"#,
        delivery_id
    )
    .fetch_optional(db)
    .await
    .context("failed to load a promise mail")?;
    Ok(row.and_then(|r| {
        let mail = r.kind.promise_mail()?;
        let promise = Row {
            id: r.id,
            subscriber_id: r.subscriber_id,
            text_sealed: r.text_sealed,
            text_nonce: r.text_nonce,
            text_format: r.text_format,
            text_key_id: r.text_key_id,
            due_at: r.due_at,
            check_answer: r.check_answer,
            outcome: r.outcome,
        };
        Some((mail, promise.into()))
    }))
}

/// Records "still realistic?" unless already answered. Returns whether this call did.
pub async fn record_check(conn: &mut PgConnection, id: i64, answer: CheckAnswer) -> anyhow::Result<bool> {
    let result = sqlx::query!(
        r#"update promises set check_answer = $2 where id = $1 and check_answer is null"#,
        id,
        answer.key()
    )
    .execute(conn)
    .await
    .context("failed to record a promise check")?;
    Ok(result.rows_affected() == 1)
}

/// Records "did it happen?" unless already answered. Returns whether this call did.
pub async fn record_outcome(conn: &mut PgConnection, id: i64, outcome: Outcome) -> anyhow::Result<bool> {
    let result = sqlx::query!(
        r#"update promises set outcome = $2, outcome_at = now() where id = $1 and outcome is null"#,
        id,
        outcome.key()
    )
    .execute(conn)
    .await
    .context("failed to record a promise outcome")?;
    Ok(result.rows_affected() == 1)
}

/// A subscriber's promises, soonest due first.
pub async fn list(db: impl PgExecutor<'_>, subscriber_id: i64) -> anyhow::Result<Vec<PromiseRow>> {
    let rows = sqlx::query_as!(
        Row,
        r#"select id, subscriber_id, text_sealed, text_nonce, text_format, text_key_id, due_at, check_answer, outcome
           from promises where subscriber_id = $1 order by due_at"#,
        subscriber_id
    )
    .fetch_all(db)
    .await
    .context("failed to list promises")?;
    Ok(rows.into_iter().map(PromiseRow::from).collect())
}

/// Outcomes across everyone, for operators: (outcome, count). Never per person.
pub async fn outcome_totals(db: impl PgExecutor<'_>) -> anyhow::Result<Vec<(String, i64)>> {
    let rows = sqlx::query!(
        r#"select coalesce(outcome, 'open') as "outcome!", count(*) as "n!" from promises group by 1 order by 1"#
    )
    .fetch_all(db)
    .await
    .context("failed to count promise outcomes")?;
    Ok(rows.into_iter().map(|r| (r.outcome, r.n)).collect())
}

/// (kept, renegotiated early) among a subscriber's outcomes since `since`.
pub async fn good_outcomes_since(
    db: impl PgExecutor<'_>,
    subscriber_id: i64,
    since: DateTime<Utc>,
) -> anyhow::Result<(i64, i64)> {
    let row = sqlx::query!(
        r#"select count(*) filter (where outcome = 'kept') as "kept!",
                  count(*) filter (where outcome = 'renegotiated') as "renegotiated!"
           from promises where subscriber_id = $1 and outcome_at >= $2"#,
        subscriber_id,
        since
    )
    .fetch_one(db)
    .await
    .context("failed to count promise outcomes")?;
    Ok((row.kept, row.renegotiated))
}

/// The next promises (by id, after `after`) whose text is not bound under
/// the key `key_id`, locked until the caller's transaction ends.
#[tracing::instrument(skip_all, fields(after, limit))]
pub async fn lock_to_reseal(
    conn: &mut PgConnection,
    key_id: i64,
    after: i64,
    limit: i64,
) -> anyhow::Result<Vec<PromiseRow>> {
    let rows = sqlx::query_as!(
        Row,
        r#"select id, subscriber_id, text_sealed, text_nonce, text_format, text_key_id, due_at, check_answer, outcome
           from promises
           where id > $2 and not (text_format = 1 and text_key_id = $1)
           order by id limit $3
           for update"#,
        key_id,
        after,
        limit
    )
    .fetch_all(conn)
    .await
    .context("failed to read promises to reseal")?;
    Ok(rows.into_iter().map(PromiseRow::from).collect())
}

/// Replaces the sealed texts of these promises, in one statement.
#[tracing::instrument(skip_all, fields(rows = resealed.len()))]
pub async fn store_resealed(conn: &mut PgConnection, resealed: &[(i64, Sealed)]) -> anyhow::Result<u64> {
    let ids: Vec<i64> = resealed.iter().map(|(id, _)| *id).collect();
    let texts: Vec<Vec<u8>> = resealed.iter().map(|(_, s)| s.ciphertext.clone()).collect();
    let nonces: Vec<Vec<u8>> = resealed.iter().map(|(_, s)| s.nonce.clone()).collect();
    let (formats, keys): (Vec<i16>, Vec<Option<i64>>) = resealed.iter().map(|(_, s)| format_columns(s.format)).unzip();
    let result = sqlx::query!(
        r#"update promises p
           set text_sealed = v.sealed, text_nonce = v.nonce, text_format = v.format, text_key_id = v.key_id
           from unnest($1::bigint[], $2::bytea[], $3::bytea[], $4::smallint[], $5::bigint[])
                as v(id, sealed, nonce, format, key_id)
           where p.id = v.id"#,
        &ids,
        &texts,
        &nonces,
        &formats,
        &keys as &[Option<i64>]
    )
    .execute(conn)
    .await
    .context("failed to store resealed promises")?;
    Ok(result.rows_affected())
}

/// Promises whose text is not bound under the key `key_id`.
pub async fn count_to_reseal(db: impl PgExecutor<'_>, key_id: i64) -> anyhow::Result<i64> {
    sqlx::query_scalar!(
        r#"select count(*) as "n!" from promises where not (text_format = 1 and text_key_id = $1)"#,
        key_id
    )
    .fetch_one(db)
    .await
    .context("failed to count promises to reseal")
}
