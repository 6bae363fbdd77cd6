//! Subscriber tracks: which habits a subscriber chose and when each is due.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};

use crate::domain::engine;
use crate::domain::{Action, Track, TrackSet};

#[derive(Debug, Clone, PartialEq)]
pub struct TrackState {
    pub subscriber_id: i64,
    pub track: Track,
    pub enabled: bool,
    pub interval_days: u32,
    pub next_due_at: Option<DateTime<Utc>>,
    pub last_variant: Option<String>,
    pub repeat_variant: Option<String>,
    /// The engine's memory of this habit.
    pub engine: engine::TrackState,
    pub last_answer: Option<Action>,
}

struct Row {
    subscriber_id: i64,
    track: String,
    enabled: bool,
    interval_days: i32,
    next_due_at: Option<DateTime<Utc>>,
    last_variant: Option<String>,
    repeat_variant: Option<String>,
    ease: f64,
    streak: i32,
    misses: i32,
    graduated: bool,
    last_answer: Option<String>,
}

impl TryFrom<Row> for TrackState {
    type Error = anyhow::Error;

    fn try_from(row: Row) -> anyhow::Result<Self> {
        let interval_days = row.interval_days.max(1) as u32;
        Ok(TrackState {
            subscriber_id: row.subscriber_id,
            track: Track::parse(&row.track)?,
            enabled: row.enabled,
            interval_days,
            next_due_at: row.next_due_at,
            last_variant: row.last_variant,
            repeat_variant: row.repeat_variant,
            engine: engine::TrackState {
                interval_days,
                ease: row.ease,
                streak: row.streak.max(0) as u32,
                misses: row.misses.max(0) as u32,
                graduated: row.graduated,
            },
            last_answer: row.last_answer.as_deref().map(Action::parse).transpose()?,
        })
    }
}

fn parse_rows(rows: Vec<Row>) -> anyhow::Result<Vec<TrackState>> {
    rows.into_iter().map(TrackState::try_from).collect()
}

/// Every track row of a subscriber, in catalog order.
#[tracing::instrument(skip_all, fields(subscriber_id))]
pub async fn list(db: impl PgExecutor<'_>, subscriber_id: i64) -> anyhow::Result<Vec<TrackState>> {
    let rows = sqlx::query_as!(
        Row,
        r#"select subscriber_id, track, enabled, interval_days, next_due_at, last_variant, repeat_variant,
                  ease, streak, misses, graduated, last_answer
           from subscriber_tracks where subscriber_id = $1"#,
        subscriber_id
    )
    .fetch_all(db)
    .await
    .context("failed to load a subscriber's tracks")?;
    let mut tracks = parse_rows(rows)?;
    tracks.sort_by_key(|t| t.track);
    Ok(tracks)
}

/// Turns the chosen tracks on (creating their rows with the starting interval)
/// and every other track off. A track that stays on keeps its schedule.
#[tracing::instrument(skip_all, fields(subscriber_id))]
pub async fn choose(conn: &mut PgConnection, subscriber_id: i64, tracks: &TrackSet) -> anyhow::Result<()> {
    let keys = tracks.keys();
    let intervals: Vec<i32> = tracks.iter().map(|t| t.starting_interval_days() as i32).collect();
    sqlx::query!(
        r#"insert into subscriber_tracks (subscriber_id, track, enabled, interval_days)
           select $1, chosen.track, true, chosen.interval_days
           from unnest($2::text[], $3::int[]) as chosen (track, interval_days)
           on conflict (subscriber_id, track) do update set enabled = true"#,
        subscriber_id,
        &keys,
        &intervals
    )
    .execute(&mut *conn)
    .await
    .context("failed to turn tracks on")?;
    sqlx::query!(
        r#"update subscriber_tracks
           set enabled = false, next_due_at = null, repeat_variant = null
           where subscriber_id = $1 and not (track = any($2))"#,
        subscriber_id,
        &keys
    )
    .execute(&mut *conn)
    .await
    .context("failed to turn tracks off")?;
    Ok(())
}

/// Gives every enabled track without a schedule its first slot.
#[tracing::instrument(skip_all, fields(subscriber_id))]
pub async fn schedule_unscheduled(
    conn: &mut PgConnection,
    subscriber_id: i64,
    first_slot: DateTime<Utc>,
) -> anyhow::Result<()> {
    sqlx::query!(
        r#"update subscriber_tracks set next_due_at = $2
           where subscriber_id = $1 and enabled and next_due_at is null"#,
        subscriber_id,
        first_slot
    )
    .execute(conn)
    .await
    .context("failed to schedule tracks")?;
    Ok(())
}

/// Forgets every track's next slot (pause, unsubscribe). State is kept.
#[tracing::instrument(skip_all, fields(subscriber_id))]
pub async fn clear_schedule(conn: &mut PgConnection, subscriber_id: i64) -> anyhow::Result<()> {
    sqlx::query!(r#"update subscriber_tracks set next_due_at = null where subscriber_id = $1"#, subscriber_id)
        .execute(conn)
        .await
        .context("failed to clear a subscriber's schedule")?;
    Ok(())
}

/// Moves one track's next slot, and optionally marks a variant to repeat.
#[tracing::instrument(skip_all, fields(subscriber_id, track = track.key()))]
pub async fn reschedule(
    conn: &mut PgConnection,
    subscriber_id: i64,
    track: Track,
    next_due_at: DateTime<Utc>,
    repeat_variant: Option<&str>,
) -> anyhow::Result<()> {
    sqlx::query!(
        r#"update subscriber_tracks set next_due_at = $3, repeat_variant = coalesce($4, repeat_variant)
           where subscriber_id = $1 and track = $2 and enabled"#,
        subscriber_id,
        track.key(),
        next_due_at,
        repeat_variant
    )
    .execute(conn)
    .await
    .context("failed to reschedule a track")?;
    Ok(())
}

/// One track of one subscriber, locked for the rest of the transaction.
pub async fn lock_one(conn: &mut PgConnection, subscriber_id: i64, track: Track) -> anyhow::Result<Option<TrackState>> {
    let row = sqlx::query_as!(
        Row,
        r#"select subscriber_id, track, enabled, interval_days, next_due_at, last_variant, repeat_variant,
                  ease, streak, misses, graduated, last_answer
           from subscriber_tracks where subscriber_id = $1 and track = $2 for update"#,
        subscriber_id,
        track.key()
    )
    .fetch_optional(conn)
    .await
    .context("failed to lock a track")?;
    row.map(TrackState::try_from).transpose()
}

/// Writes what the engine decided for one track. `next_due_at` is only
/// written while the track is on: a paused track stays unscheduled, and
/// `None` leaves the track unscheduled (its subscriber is not active).
#[tracing::instrument(skip_all, fields(subscriber_id, track = track.key()))]
pub async fn save_engine_step(
    conn: &mut PgConnection,
    subscriber_id: i64,
    track: Track,
    state: &engine::TrackState,
    next_due_at: Option<DateTime<Utc>>,
    answer: Option<Action>,
) -> anyhow::Result<()> {
    sqlx::query!(
        r#"update subscriber_tracks
           set interval_days = $3, ease = $4, streak = $5, misses = $6, graduated = $7,
               next_due_at = case when enabled then $8::timestamptz else null end,
               last_answer = coalesce($9, last_answer)
           where subscriber_id = $1 and track = $2"#,
        subscriber_id,
        track.key(),
        state.interval_days as i32,
        state.ease,
        state.streak as i32,
        state.misses as i32,
        state.graduated,
        next_due_at,
        answer.map(Action::key)
    )
    .execute(conn)
    .await
    .context("failed to save a track's schedule")?;
    Ok(())
}
