//! Answering a nudge in two statements: one read of everything the answer
//! needs, and one write of everything it changes.
//!
//! Answers are the hottest write path (a whole list answers the morning's
//! mail within minutes), and on this hardware each round trip to PostgreSQL
//! costs more than the work inside it: BEGIN, locking reads and COMMIT made
//! an answer 13 round trips. Instead the read is a plain snapshot and the
//! write is a single statement, atomic on its own, fenced by the track row's
//! version (`xmin`, which every update of the row changes). If the track
//! changed in between (the planner, a pause, the expiry sweep, another
//! answer), the write rolls itself back with SQLSTATE 40001 and the caller
//! reads again; see [`is_retryable`].

use anyhow::Context;
use chrono::{DateTime, NaiveTime, Utc};
use sqlx::PgExecutor;

use crate::domain::engine;
use crate::domain::{Action, SubscriberStatus, TimeOfDay, TimeZone, Track};

/// A nudge, its subscriber, its track and any answer, as of one snapshot.
#[derive(Debug, Clone)]
pub struct AnswerContext {
    pub delivery_id: i64,
    pub subscriber_id: i64,
    pub track: Track,
    pub variant: String,
    pub slot: DateTime<Utc>,
    /// The expiry sweep already counted this nudge as a miss.
    pub expired: bool,
    pub zone: TimeZone,
    pub time: TimeOfDay,
    pub status: SubscriberStatus,
    /// The track row and its version, unless the track row is gone.
    pub track_row: Option<(TrackRow, String)>,
    pub answer: Option<(Action, DateTime<Utc>)>,
    /// The database clock at the read.
    pub now: DateTime<Utc>,
}

/// The columns of a track row that an answer can change.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackRow {
    pub enabled: bool,
    pub engine: engine::TrackState,
    pub next_due_at: Option<DateTime<Utc>>,
    pub repeat_variant: Option<String>,
    pub last_answer: Option<Action>,
}

struct Row {
    id: i64,
    subscriber_id: i64,
    track: String,
    variant: String,
    slot: DateTime<Utc>,
    expired: bool,
    timezone: String,
    send_time: NaiveTime,
    status: String,
    revision: Option<String>,
    enabled: Option<bool>,
    interval_days: Option<i32>,
    ease: Option<f64>,
    streak: Option<i32>,
    misses: Option<i32>,
    graduated: Option<bool>,
    next_due_at: Option<DateTime<Utc>>,
    repeat_variant: Option<String>,
    last_answer: Option<String>,
    answer_action: Option<String>,
    answered_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
}

/// Reads everything answering (or showing) nudge `delivery_id` needs, in
/// one statement. `None` if there is no such nudge.
pub async fn read(db: impl PgExecutor<'_>, delivery_id: i64) -> anyhow::Result<Option<AnswerContext>> {
    let row = sqlx::query_as!(
        Row,
        r#"select d.id, d.subscriber_id, d.track as "track!", d.variant as "variant!", d.slot,
                  d.expired_at is not null as "expired!",
                  s.timezone, s.send_time, s.status,
                  t.xmin::text as "revision?", t.enabled as "enabled?", t.interval_days as "interval_days?",
                  t.ease as "ease?", t.streak as "streak?", t.misses as "misses?", t.graduated as "graduated?",
                  t.next_due_at as "next_due_at?", t.repeat_variant as "repeat_variant?",
                  t.last_answer as "last_answer?",
                  a.action as "answer_action?", a.answered_at as "answered_at?",
                  now() as "now!"
           from deliveries d
           join subscribers s on s.id = d.subscriber_id
           left join subscriber_tracks t on t.subscriber_id = d.subscriber_id and t.track = d.track
           left join answers a on a.delivery_id = d.id
           where d.id = $1 and d.kind = 'nudge' and d.track is not null and d.variant is not null"#,
        delivery_id
    )
    .fetch_optional(db)
    .await
    .context("failed to read a nudge for its answer")?;
    row.map(AnswerContext::try_from).transpose()
}

impl TryFrom<Row> for AnswerContext {
    type Error = anyhow::Error;

    fn try_from(row: Row) -> anyhow::Result<Self> {
        let track_row = track_row(&row)?;
        let answer = match (row.answer_action.as_deref(), row.answered_at) {
            (Some(action), Some(at)) => Some((Action::parse(action)?, at)),
            _ => None,
        };
        Ok(AnswerContext {
            delivery_id: row.id,
            subscriber_id: row.subscriber_id,
            track: Track::parse(&row.track)?,
            variant: row.variant,
            slot: row.slot,
            expired: row.expired,
            zone: TimeZone::parse(&row.timezone).context("stored time zone no longer parses")?,
            time: TimeOfDay::from_naive(row.send_time),
            status: SubscriberStatus::from_key(&row.status)?,
            track_row,
            answer,
            now: row.now,
        })
    }
}

fn track_row(row: &Row) -> anyhow::Result<Option<(TrackRow, String)>> {
    let (Some(revision), Some(enabled), Some(interval), Some(ease), Some(streak), Some(misses), Some(graduated)) =
        (&row.revision, row.enabled, row.interval_days, row.ease, row.streak, row.misses, row.graduated)
    else {
        return Ok(None);
    };
    let interval_days = interval.max(1) as u32;
    let track = TrackRow {
        enabled,
        engine: engine::TrackState {
            interval_days,
            ease,
            streak: streak.max(0) as u32,
            misses: misses.max(0) as u32,
            graduated,
        },
        next_due_at: row.next_due_at,
        repeat_variant: row.repeat_variant.clone(),
        last_answer: row.last_answer.as_deref().map(Action::parse).transpose()?,
    };
    Ok(Some((track, revision.clone())))
}

/// What one answer writes.
#[derive(Debug, Clone)]
pub struct AnswerWrite<'a> {
    pub delivery_id: i64,
    pub subscriber_id: i64,
    pub track: Track,
    pub action: Action,
    /// The track row to write, and the version it was computed from; `None`
    /// records the answer without steering the track.
    pub steer: Option<(&'a TrackRow, &'a str)>,
}

/// Records the answer unless the nudge already has one, clears the
/// subscriber's misses in a row and, if asked, writes the track row: all in
/// one statement. Returns when the answer was recorded, or `None` if the
/// nudge already had one (nothing else is written then). Fails with a
/// [retryable](is_retryable) error if the track changed since it was read.
pub async fn write(db: impl PgExecutor<'_>, w: &AnswerWrite<'_>) -> anyhow::Result<Option<DateTime<Utc>>> {
    let (row, revision) = match w.steer {
        Some((row, revision)) => (Some(row), Some(revision)),
        None => (None, None),
    };
    let answered_at = sqlx::query_scalar!(
        r#"with answered as (
               insert into answers (delivery_id, subscriber_id, track, action)
               values ($1, $2, $3, $4)
               on conflict (delivery_id) do nothing
               returning answered_at
           ), cleared as (
               update subscribers set consecutive_misses = 0
               where id = $2 and consecutive_misses > 0 and exists (select from answered)
           ), steered as (
               update subscriber_tracks
               set enabled = $6, interval_days = $7, ease = $8, streak = $9, misses = $10, graduated = $11,
                   next_due_at = $12, repeat_variant = $13, last_answer = $14
               where subscriber_id = $2 and track = $3 and xmin::text = $5 and exists (select from answered)
               returning 1
           )
           select answered_at from answered
           where case when $5::text is null or exists (select from steered) then true
                      else tend_stale_read('the track') end"#,
        w.delivery_id,
        w.subscriber_id,
        w.track.key(),
        w.action.key(),
        revision,
        row.map(|r| r.enabled),
        row.map(|r| r.engine.interval_days as i32),
        row.map(|r| r.engine.ease),
        row.map(|r| r.engine.streak as i32),
        row.map(|r| r.engine.misses as i32),
        row.map(|r| r.engine.graduated),
        row.and_then(|r| r.next_due_at),
        row.and_then(|r| r.repeat_variant.as_deref()),
        row.and_then(|r| r.last_answer.map(Action::key)),
    )
    .fetch_optional(db)
    .await
    .context("failed to record an answer")?;
    Ok(answered_at)
}

/// True if `err` says a read went stale (SQLSTATE 40001) or lost a deadlock
/// (40P01): reading again and retrying is safe, since nothing was written.
pub fn is_retryable(err: &anyhow::Error) -> bool {
    let code = err
        .downcast_ref::<sqlx::Error>()
        .and_then(|e| e.as_database_error())
        .and_then(|e| e.code().map(|c| c.into_owned()));
    matches!(code.as_deref(), Some("40001" | "40P01"))
}
