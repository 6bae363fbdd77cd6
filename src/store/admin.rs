//! Operators' statements: the summary behind `tend stats`, the full record
//! behind `tend subscriber export`, and the deletes behind `forget`.
//!
//! Kept apart from the hot-path modules because none of this runs per mail:
//! these queries may scan, and they read every column a person is owed.

use anyhow::Context;
use chrono::{DateTime, NaiveTime, Utc};
use serde::Serialize;
use sqlx::{PgConnection, PgExecutor};

use crate::domain::DeliveryKind;

// ---- export: everything held about one subscriber ------------------------

/// The subscriber row, every column.
#[derive(Debug, Clone, Serialize)]
pub struct SubscriberRecord {
    pub id: i64,
    pub email: String,
    /// The inbox the address reaches (what the confirmation cap counts by).
    pub mailbox: String,
    pub timezone: String,
    pub send_time: NaiveTime,
    pub max_per_day: i16,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub status_changed_at: DateTime<Utc>,
    pub consecutive_misses: i32,
    pub link_generation: i32,
    pub discreet: bool,
    /// The language of their mails and pages.
    pub locale: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TrackRecord {
    pub track: String,
    pub enabled: bool,
    pub interval_days: i32,
    pub next_due_at: Option<DateTime<Utc>>,
    pub last_variant: Option<String>,
    pub repeat_variant: Option<String>,
    pub ease: f64,
    pub streak: i32,
    pub misses: i32,
    pub graduated: bool,
    pub last_answer: Option<String>,
}

/// One email tend sent, tried or planned for the subscriber.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryRecord {
    pub id: i64,
    pub kind: DeliveryKind,
    pub track: Option<String>,
    pub variant: Option<String>,
    pub slot: DateTime<Utc>,
    pub status: String,
    pub attempt: i32,
    pub smtp_code: Option<i16>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub answer_by: Option<DateTime<Utc>>,
    pub expired_at: Option<DateTime<Utc>>,
    pub unknown_outcomes: i32,
}

#[derive(Debug, Clone, Serialize)]
pub struct AnswerRecord {
    pub delivery_id: i64,
    pub track: String,
    pub action: String,
    pub answered_at: DateTime<Utc>,
}

#[tracing::instrument(skip_all, fields(subscriber_id = id))]
pub async fn subscriber_record(db: impl PgExecutor<'_>, id: i64) -> anyhow::Result<Option<SubscriberRecord>> {
    sqlx::query_as!(
        SubscriberRecord,
        r#"select id, email, mailbox, timezone, send_time, max_per_day, status, created_at, confirmed_at, status_changed_at,
                  consecutive_misses, link_generation, discreet, locale
           from subscribers where id = $1"#,
        id
    )
    .fetch_optional(db)
    .await
    .context("failed to load a subscriber for export")
}

#[tracing::instrument(skip_all, fields(subscriber_id = id))]
pub async fn track_records(db: impl PgExecutor<'_>, id: i64) -> anyhow::Result<Vec<TrackRecord>> {
    sqlx::query_as!(
        TrackRecord,
        r#"select track, enabled, interval_days, next_due_at, last_variant, repeat_variant,
                  ease, streak, misses, graduated, last_answer
           from subscriber_tracks where subscriber_id = $1 order by track"#,
        id
    )
    .fetch_all(db)
    .await
    .context("failed to load tracks for export")
}

#[tracing::instrument(skip_all, fields(subscriber_id = id))]
pub async fn delivery_records(db: impl PgExecutor<'_>, id: i64) -> anyhow::Result<Vec<DeliveryRecord>> {
    sqlx::query_as!(
        DeliveryRecord,
        r#"select id, kind as "kind: DeliveryKind", track, variant, slot, status, attempt, smtp_code, last_error, created_at, sent_at,
                  answer_by, expired_at, unknown_outcomes
           from deliveries where subscriber_id = $1 order by id"#,
        id
    )
    .fetch_all(db)
    .await
    .context("failed to load deliveries for export")
}

#[tracing::instrument(skip_all, fields(subscriber_id = id))]
pub async fn answer_records(db: impl PgExecutor<'_>, id: i64) -> anyhow::Result<Vec<AnswerRecord>> {
    sqlx::query_as!(
        AnswerRecord,
        r#"select delivery_id, track, action, answered_at
           from answers where subscriber_id = $1 order by answered_at, delivery_id"#,
        id
    )
    .fetch_all(db)
    .await
    .context("failed to load answers for export")
}

/// The address's entry in the suppression list (a relay said it does not exist).
#[derive(Debug, Clone, Serialize)]
pub struct SuppressionRecord {
    pub smtp_code: i16,
    pub reason: String,
    pub suppressed_at: DateTime<Utc>,
}

#[tracing::instrument(skip_all)]
pub async fn suppression_record(db: impl PgExecutor<'_>, email: &str) -> anyhow::Result<Option<SuppressionRecord>> {
    sqlx::query_as!(
        SuppressionRecord,
        r#"select smtp_code, reason, suppressed_at from suppressed_addresses where email = lower($1)"#,
        email
    )
    .fetch_optional(db)
    .await
    .context("failed to load a suppression for export")
}

// ---- forget: erase one subscriber, keep an anonymous count ---------------

/// Rows deleted by one erasure, per table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ErasedRows {
    pub tracks: u64,
    pub deliveries: u64,
    pub answers: u64,
}

/// Deletes a subscriber and everything that names them, children first so
/// that the counts are exact (the foreign keys would cascade anyway).
/// Returns `None` if there was no such subscriber.
#[tracing::instrument(skip_all, fields(subscriber_id = id))]
pub async fn delete_subscriber(conn: &mut PgConnection, id: i64) -> anyhow::Result<Option<ErasedRows>> {
    let answers = sqlx::query!(r#"delete from answers where subscriber_id = $1"#, id)
        .execute(&mut *conn)
        .await
        .context("failed to delete answers")?
        .rows_affected();
    let deliveries = sqlx::query!(r#"delete from deliveries where subscriber_id = $1"#, id)
        .execute(&mut *conn)
        .await
        .context("failed to delete deliveries")?
        .rows_affected();
    let tracks = sqlx::query!(r#"delete from subscriber_tracks where subscriber_id = $1"#, id)
        .execute(&mut *conn)
        .await
        .context("failed to delete tracks")?
        .rows_affected();
    let subscribers = sqlx::query!(r#"delete from subscribers where id = $1"#, id)
        .execute(&mut *conn)
        .await
        .context("failed to delete a subscriber")?
        .rows_affected();
    Ok((subscribers == 1).then_some(ErasedRows { tracks, deliveries, answers }))
}

/// Removes the address from the suppression list: it is personal data too.
/// Should the person subscribe again and the address still bounce, the
/// sender suppresses it anew.
#[tracing::instrument(skip_all)]
pub async fn delete_suppression(conn: &mut PgConnection, email: &str) -> anyhow::Result<u64> {
    let result = sqlx::query!(r#"delete from suppressed_addresses where email = lower($1)"#, email)
        .execute(conn)
        .await
        .context("failed to delete a suppression")?;
    Ok(result.rows_affected())
}

/// Writes the anonymous audit line: when, who asked, how many rows.
#[tracing::instrument(skip_all, fields(requested_by))]
pub async fn record_erasure(
    conn: &mut PgConnection,
    requested_by: &str,
    rows: ErasedRows,
) -> anyhow::Result<DateTime<Utc>> {
    sqlx::query_scalar!(
        r#"insert into erasures (requested_by, tracks, deliveries, answers)
           values ($1, $2, $3, $4)
           returning erased_at"#,
        requested_by,
        rows.tracks as i32,
        rows.deliveries as i32,
        rows.answers as i32
    )
    .fetch_one(conn)
    .await
    .context("failed to record an erasure")
}

// ---- stats: the operator's summary ---------------------------------------

/// Active subscribers' enabled tracks due within the next `hours`.
#[derive(Debug, Clone, Copy)]
pub struct DueSoon {
    pub tracks: i64,
    pub subscribers: i64,
}

pub async fn due_within(db: impl PgExecutor<'_>, hours: i32) -> anyhow::Result<DueSoon> {
    let row = sqlx::query!(
        r#"select count(*) as "tracks!", count(distinct t.subscriber_id) as "subscribers!"
           from subscriber_tracks t join subscribers s on s.id = t.subscriber_id
           where s.status = 'active' and t.enabled
             and t.next_due_at < now() + make_interval(hours => $1)"#,
        hours
    )
    .fetch_one(db)
    .await
    .context("failed to count due tracks")?;
    Ok(DueSoon { tracks: row.tracks, subscribers: row.subscribers })
}

/// The outbox right now: mail waiting, mail due, and how late the oldest is.
#[derive(Debug, Clone, Copy)]
pub struct Queue {
    pub pending: i64,
    pub due_now: i64,
    pub sending: i64,
    pub oldest_due_seconds: Option<f64>,
}

pub async fn queue(db: impl PgExecutor<'_>) -> anyhow::Result<Queue> {
    let row = sqlx::query!(
        r#"select count(*) filter (where owner is null) as "pending!",
                  count(*) filter (where owner is null and due_at <= now()) as "due_now!",
                  count(*) filter (where owner is not null) as "sending!",
                  extract(epoch from now() - min(due_at) filter (where owner is null and due_at <= now()))::float8
                      as oldest_due_seconds
           from delivery_queue"#
    )
    .fetch_one(db)
    .await
    .context("failed to inspect the outbox")?;
    Ok(Queue {
        pending: row.pending,
        due_now: row.due_now,
        sending: row.sending,
        oldest_due_seconds: row.oldest_due_seconds,
    })
}

/// Per delivery kind: sent and failed within the last `hours`. A failed
/// delivery has no failure time of its own; its last attempt's due time
/// stands in for it.
#[derive(Debug, Clone)]
pub struct Outcomes {
    pub kind: DeliveryKind,
    pub sent: i64,
    pub failed: i64,
}

pub async fn outcomes_within(db: impl PgExecutor<'_>, hours: i32) -> anyhow::Result<Vec<Outcomes>> {
    let rows = sqlx::query!(
        r#"select kind as "kind: DeliveryKind",
                  count(*) filter (where status = 'sent') as "sent!",
                  count(*) filter (where status = 'failed') as "failed!"
           from deliveries
           where (status = 'sent' and sent_at >= now() - make_interval(hours => $1))
              or (status = 'failed' and due_at >= now() - make_interval(hours => $1))
           group by kind order by kind"#,
        hours
    )
    .fetch_all(db)
    .await
    .context("failed to count recent deliveries")?;
    Ok(rows.into_iter().map(|r| Outcomes { kind: r.kind, sent: r.sent, failed: r.failed }).collect())
}

/// Per track: nudges sent within the last `days` and how they were answered.
#[derive(Debug, Clone)]
pub struct AnswerRates {
    pub track: String,
    pub sent: i64,
    pub answered: i64,
    pub done: i64,
    pub partly: i64,
    pub not_yet: i64,
    pub snooze: i64,
    pub pause_track: i64,
}

pub async fn answer_rates(db: impl PgExecutor<'_>, days: i32) -> anyhow::Result<Vec<AnswerRates>> {
    let rows = sqlx::query!(
        r#"select d.track as "track!",
                  count(*) as "sent!",
                  count(a.delivery_id) as "answered!",
                  count(*) filter (where a.action = 'done') as "done!",
                  count(*) filter (where a.action = 'partly') as "partly!",
                  count(*) filter (where a.action = 'not_yet') as "not_yet!",
                  count(*) filter (where a.action = 'snooze') as "snooze!",
                  count(*) filter (where a.action = 'pause_track') as "pause_track!"
           from deliveries d left join answers a on a.delivery_id = d.id
           where d.kind = 'nudge' and d.status = 'sent' and d.track is not null
             and d.sent_at >= now() - make_interval(days => $1)
           group by d.track order by d.track"#,
        days
    )
    .fetch_all(db)
    .await
    .context("failed to compute answer rates")?;
    Ok(rows
        .into_iter()
        .map(|r| AnswerRates {
            track: r.track,
            sent: r.sent,
            answered: r.answered,
            done: r.done,
            partly: r.partly,
            not_yet: r.not_yet,
            snooze: r.snooze,
            pause_track: r.pause_track,
        })
        .collect())
}
