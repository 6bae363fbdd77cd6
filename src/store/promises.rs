//! Promises: sealed text, due instant, and the two answers.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};

use crate::domain::promise::{CheckAnswer, Outcome};
use crate::domain::{DeliveryKind, PromiseMail};
use crate::sealing::Sealed;

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
    due_at: DateTime<Utc>,
    check_answer: Option<String>,
    outcome: Option<String>,
}

impl From<Row> for PromiseRow {
    fn from(r: Row) -> Self {
        PromiseRow {
            id: r.id,
            subscriber_id: r.subscriber_id,
            sealed: Sealed { ciphertext: r.text_sealed, nonce: r.text_nonce },
            due_at: r.due_at,
            check_answer: r.check_answer.as_deref().and_then(CheckAnswer::parse),
            outcome: r.outcome.as_deref().and_then(Outcome::parse),
        }
    }
}

pub async fn insert(
    conn: &mut PgConnection,
    subscriber_id: i64,
    sealed: &Sealed,
    due_at: DateTime<Utc>,
) -> anyhow::Result<i64> {
    sqlx::query_scalar!(
        r#"insert into promises (subscriber_id, text_sealed, text_nonce, due_at) values ($1, $2, $3, $4) returning id"#,
        subscriber_id,
        sealed.ciphertext,
        sealed.nonce,
        due_at
    )
    .fetch_one(conn)
    .await
    .context("failed to store a promise")
}

pub async fn get(db: impl PgExecutor<'_>, id: i64) -> anyhow::Result<Option<PromiseRow>> {
    let row = sqlx::query_as!(
        Row,
        r#"select id, subscriber_id, text_sealed, text_nonce, due_at, check_answer, outcome from promises where id = $1"#,
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
        r#"select d.kind as "kind: DeliveryKind", p.id, p.subscriber_id, p.text_sealed, p.text_nonce, p.due_at, p.check_answer, p.outcome
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
        r#"select id, subscriber_id, text_sealed, text_nonce, due_at, check_answer, outcome
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
