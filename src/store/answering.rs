//! Answering nudges in two statements: one read of everything a batch of
//! answers needs, and one write of everything they change.
//!
//! Answers are the hottest write path (a whole list answers the morning's
//! mail within minutes), and on this hardware each round trip to PostgreSQL
//! costs more than the work inside it: BEGIN, locking reads and COMMIT made
//! an answer 13 round trips. Instead the read is a plain snapshot and the
//! write is a single statement, atomic on its own, fenced by each track
//! row's version (`xmin`, which every update of the row changes). If a track
//! changed in between (the planner, a pause, the expiry sweep, another
//! instance's answer) or a nudge got answered, the write rolls itself back
//! with SQLSTATE 40001 and the caller reads again; see [`is_retryable`].

use anyhow::Context;
use chrono::{DateTime, NaiveTime, Utc};
use sqlx::PgExecutor;

use crate::domain::engine;
use crate::domain::{Action, LinkGeneration, SubscriberStatus, TimeOfDay, TimeZone, Track};

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
    /// The subscriber's unanswered nudges in a row; any answer clears them.
    pub consecutive_misses: i32,
    /// The subscriber's link generation (links without page facts check it here).
    pub link_generation: LinkGeneration,
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

impl TrackRow {
    /// When the track comes next, or `None` while it is paused or off.
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        self.next_due_at.filter(|_| self.enabled)
    }
}

impl AnswerContext {
    /// When this nudge's track comes next, as read.
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        self.track_row.as_ref().and_then(|(row, _)| row.next_due())
    }
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
    consecutive_misses: i32,
    link_generation: i32,
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

/// Reads everything answering (or showing) these nudges needs, in one
/// statement. Ids that name no nudge are left out.
pub async fn read_many(db: impl PgExecutor<'_>, delivery_ids: &[i64]) -> anyhow::Result<Vec<AnswerContext>> {
    let rows = sqlx::query_as!(
        Row,
        r#"select d.id, d.subscriber_id, d.track as "track!", d.variant as "variant!", d.slot,
                  d.expired_at is not null as "expired!",
                  s.timezone, s.send_time, s.status, s.consecutive_misses, s.link_generation,
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
           where d.id = any($1) and d.kind = 'nudge' and d.track is not null and d.variant is not null"#,
        delivery_ids
    )
    .fetch_all(db)
    .await
    .context("failed to read nudges for their answers")?;
    rows.into_iter().map(AnswerContext::try_from).collect()
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
            consecutive_misses: row.consecutive_misses,
            link_generation: LinkGeneration::from_stored(row.link_generation)?,
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

/// One answer to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAnswer {
    pub delivery_id: i64,
    pub subscriber_id: i64,
    pub track: Track,
    pub action: Action,
}

/// A track row to write, and the version (`xmin`) it was computed from.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackWrite {
    pub subscriber_id: i64,
    pub track: Track,
    pub row: TrackRow,
    pub revision: String,
}

/// What a batch of answers writes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AnswerBatch {
    pub answers: Vec<NewAnswer>,
    pub tracks: Vec<TrackWrite>,
    /// Subscribers whose misses in a row go back to zero.
    pub clear_misses: Vec<i64>,
}

/// Records every answer, writes every track row and clears misses, in one
/// statement, and returns when the answers were recorded. All or nothing:
/// if a nudge already has an answer or a track changed since it was read,
/// nothing is written and the error is [retryable](is_retryable).
pub async fn write(db: impl PgExecutor<'_>, batch: &AnswerBatch) -> anyhow::Result<DateTime<Utc>> {
    let answers = &batch.answers;
    let tracks = &batch.tracks;
    let rows = || tracks.iter().map(|t| &t.row);
    sqlx::query_scalar!(
        r#"with answered as (
               insert into answers (delivery_id, subscriber_id, track, action)
               select * from unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[])
               on conflict (delivery_id) do nothing
               returning answered_at
           ), steered as (
               update subscriber_tracks t
               set enabled = n.enabled, interval_days = n.interval_days, ease = n.ease, streak = n.streak,
                   misses = n.misses, graduated = n.graduated, next_due_at = n.next_due_at,
                   repeat_variant = n.repeat_variant, last_answer = n.last_answer
               from unnest($5::bigint[], $6::text[], $7::text[], $8::bool[], $9::int[], $10::float8[], $11::int[],
                           $12::int[], $13::bool[], $14::timestamptz[], $15::text[], $16::text[])
                    as n (subscriber_id, track, revision, enabled, interval_days, ease, streak, misses, graduated,
                          next_due_at, repeat_variant, last_answer)
               where t.subscriber_id = n.subscriber_id and t.track = n.track and t.xmin::text = n.revision
               returning 1
           ), cleared as (
               update subscribers set consecutive_misses = 0 where id = any($17) and consecutive_misses > 0
           )
           select now() as "answered_at!"
           where case when (select count(*) from answered) = cardinality($1::bigint[])
                       and (select count(*) from steered) = cardinality($5::bigint[]) then true
                      else tend_stale_read('a nudge or a track') end"#,
        &answers.iter().map(|a| a.delivery_id).collect::<Vec<_>>(),
        &answers.iter().map(|a| a.subscriber_id).collect::<Vec<_>>(),
        &answers.iter().map(|a| a.track.key().to_owned()).collect::<Vec<_>>(),
        &answers.iter().map(|a| a.action.key().to_owned()).collect::<Vec<_>>(),
        &tracks.iter().map(|t| t.subscriber_id).collect::<Vec<_>>(),
        &tracks.iter().map(|t| t.track.key().to_owned()).collect::<Vec<_>>(),
        &tracks.iter().map(|t| t.revision.clone()).collect::<Vec<_>>(),
        &rows().map(|r| r.enabled).collect::<Vec<_>>(),
        &rows().map(|r| r.engine.interval_days as i32).collect::<Vec<_>>(),
        &rows().map(|r| r.engine.ease).collect::<Vec<_>>(),
        &rows().map(|r| r.engine.streak as i32).collect::<Vec<_>>(),
        &rows().map(|r| r.engine.misses as i32).collect::<Vec<_>>(),
        &rows().map(|r| r.engine.graduated).collect::<Vec<_>>(),
        &rows().map(|r| r.next_due_at).collect::<Vec<_>>() as &[Option<DateTime<Utc>>],
        &rows().map(|r| r.repeat_variant.clone()).collect::<Vec<_>>() as &[Option<String>],
        &rows().map(|r| r.last_answer.map(|a| a.key().to_owned())).collect::<Vec<_>>() as &[Option<String>],
        &batch.clear_misses,
    )
    .fetch_one(db)
    .await
    .context("failed to record answers")
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
