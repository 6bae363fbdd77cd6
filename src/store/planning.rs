//! The planning sweep's statements: one read that locks a batch of
//! subscribers with due tracks and returns everything the planning rule and
//! the variant rotation need, and one write that queues the batch's nudges
//! and moves its schedules. Two statements per batch, where there were eight, keep
//! the sweep's time in PostgreSQL's work rather than in round trips.

use std::collections::HashMap;

use anyhow::Context;
use chrono::{DateTime, NaiveTime, Utc};
use sqlx::{PgConnection, PgExecutor};

use crate::domain::{Locale, TimeOfDay, TimeZone, Track};

/// A locked batch: its subscribers in id order, and the database clock the
/// batch decides with.
#[derive(Debug)]
pub struct DueBatch {
    pub now: DateTime<Utc>,
    pub subscribers: Vec<DueSubscriber>,
}

/// An active subscriber with at least one due track, locked until commit.
#[derive(Debug)]
pub struct DueSubscriber {
    pub id: i64,
    pub zone: TimeZone,
    pub time: TimeOfDay,
    pub max_per_day: u32,
    pub locale: Locale,
    /// Slots of nudges and promise mails planned since two days before
    /// `now` (they count toward the daily limit).
    pub planned: Vec<DateTime<Utc>>,
    pub tracks: Vec<DueTrackState>,
}

/// A due track with what the variant rotation needs.
#[derive(Debug)]
pub struct DueTrackState {
    pub track: Track,
    pub interval_days: u32,
    pub due_at: DateTime<Utc>,
    pub last_variant: Option<String>,
    pub repeat_variant: Option<String>,
    /// When each of the track's variants was last planned for them.
    pub seen: HashMap<String, DateTime<Utc>>,
}

struct Row {
    id: i64,
    timezone: String,
    send_time: NaiveTime,
    max_per_day: i32,
    locale: String,
    planned: Vec<DateTime<Utc>>,
    track: String,
    interval_days: i32,
    next_due_at: DateTime<Utc>,
    last_variant: Option<String>,
    repeat_variant: Option<String>,
    seen_variants: Vec<String>,
    seen_slots: Vec<DateTime<Utc>>,
    now: DateTime<Utc>,
}

/// Locks up to `limit` active subscribers with ids in `(after, upto]` that
/// have a due track (locked rows are skipped, so several planners share the
/// work and a subscriber is never planned twice at once) and returns their
/// due tracks with the slots already planned and the variant history.
/// The subquery repeats the id range: without it PostgreSQL's generic plan
/// (a merge semi join) read every due track below `after` on each batch,
/// which made a sweep quadratic.
#[tracing::instrument(skip_all)]
pub async fn lock_due_batch(conn: &mut PgConnection, after: i64, upto: i64, limit: i64) -> anyhow::Result<DueBatch> {
    let rows = sqlx::query_as!(
        Row,
        r#"with locked as (
               select s.id, s.timezone, s.send_time, s.max_per_day, s.locale from subscribers s
               where s.status = 'active' and s.id > $1 and s.id <= $2
                 and s.id in (select t.subscriber_id from subscriber_tracks t
                              where t.subscriber_id > $1 and t.subscriber_id <= $2
                                and t.enabled and t.next_due_at <= now())
               order by s.id
               limit $3
               for update of s skip locked
           ), planned as (
               select l.id, array_agg(d.slot) filter (where d.slot is not null) as slots from locked l
               left join deliveries d
                 on d.subscriber_id = l.id and d.kind in ('nudge', 'promise_check', 'promise_review')
                and d.slot >= now() - interval '2 days' and d.status <> 'cancelled'
               group by l.id
           )
           select l.id, l.timezone, l.send_time, l.max_per_day, l.locale,
                  coalesce(p.slots, '{}') as "planned!",
                  t.track, t.interval_days, t.next_due_at as "next_due_at!", t.last_variant, t.repeat_variant,
                  coalesce(h.variants, '{}') as "seen_variants!: Vec<String>",
                  coalesce(h.slots, '{}') as "seen_slots!: Vec<DateTime<Utc>>",
                  now() as "now!"
           from locked l
           join planned p on p.id = l.id
           join subscriber_tracks t on t.subscriber_id = l.id and t.enabled and t.next_due_at <= now()
           left join lateral (
               select array_agg(v.variant) as variants, array_agg(v.last_slot) as slots
               from (select d.variant, max(d.slot) as last_slot from deliveries d
                     where d.subscriber_id = l.id and d.kind = 'nudge' and d.track = t.track
                       and d.variant is not null
                     group by d.variant) v
           ) h on true
           order by l.id"#,
        after,
        upto,
        limit
    )
    .fetch_all(conn)
    .await
    .context("failed to lock a planning batch")?;
    group_rows(rows)
}

/// Consecutive rows of one subscriber become one `DueSubscriber`.
fn group_rows(rows: Vec<Row>) -> anyhow::Result<DueBatch> {
    let now = rows.first().map_or_else(Utc::now, |r| r.now);
    let mut subscribers: Vec<DueSubscriber> = Vec::new();
    for row in rows {
        let track = DueTrackState {
            track: Track::parse(&row.track).context("stored track no longer parses")?,
            interval_days: row.interval_days.max(1) as u32,
            due_at: row.next_due_at,
            last_variant: row.last_variant,
            repeat_variant: row.repeat_variant,
            seen: row.seen_variants.into_iter().zip(row.seen_slots).collect(),
        };
        match subscribers.last_mut() {
            Some(last) if last.id == row.id => last.tracks.push(track),
            _ => subscribers.push(DueSubscriber {
                id: row.id,
                zone: TimeZone::parse(&row.timezone).context("stored time zone no longer parses")?,
                time: TimeOfDay::from_naive(row.send_time),
                max_per_day: row.max_per_day.max(1) as u32,
                // A locale tend no longer knows reads in English rather than not at all.
                locale: Locale::or_en(&row.locale),
                planned: row.planned,
                tracks: vec![track],
            }),
        }
    }
    Ok(DueBatch { now, subscribers })
}

/// One track's outcome: its next slot, and the nudge planned now, if any.
#[derive(Debug, Clone)]
pub struct PlannedTrack {
    pub subscriber_id: i64,
    pub track: Track,
    /// The slot the batch read: the write is fenced on it.
    pub due_at: DateTime<Utc>,
    pub next_due_at: DateTime<Utc>,
    pub nudge: Option<PlannedNudge>,
}

/// A nudge to queue; unanswered after the track's next slot, it is a miss.
#[derive(Debug, Clone)]
pub struct PlannedNudge {
    pub variant: String,
    pub slot: DateTime<Utc>,
}

/// What a batch's write changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// Subscribers with at least one track moved.
    pub subscribers: usize,
    pub nudges: u64,
}

/// Moves every track's schedule and queues the nudges of the tracks it
/// moved, in one statement. Fenced on the slot the batch read: a track that
/// moved since (another planner whose commit landed between this batch's
/// snapshot and its lock, or an answer) is left as it is and gets no nudge.
/// The outbox's unique key refuses a nudge already planned for the same
/// slot, so planning stays idempotent even without the fence.
#[tracing::instrument(skip_all, fields(tracks = planned.len()))]
pub async fn write_planned(conn: &mut PgConnection, planned: &[PlannedTrack]) -> anyhow::Result<Written> {
    let ids: Vec<i64> = planned.iter().map(|p| p.subscriber_id).collect();
    let tracks: Vec<&str> = planned.iter().map(|p| p.track.key()).collect();
    let read: Vec<DateTime<Utc>> = planned.iter().map(|p| p.due_at).collect();
    let next: Vec<DateTime<Utc>> = planned.iter().map(|p| p.next_due_at).collect();
    let variants: Vec<Option<&str>> = planned.iter().map(|p| p.nudge.as_ref().map(|n| n.variant.as_str())).collect();
    let slots: Vec<Option<DateTime<Utc>>> = planned.iter().map(|p| p.nudge.as_ref().map(|n| n.slot)).collect();
    let row = sqlx::query!(
        r#"with planned as (
               select * from unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::timestamptz[],
                                    $5::text[], $6::timestamptz[])
                   as p (subscriber_id, track, due_at, next_due_at, variant, slot)
           ), moved as (
               update subscriber_tracks t
               set next_due_at = p.next_due_at,
                   last_variant = coalesce(p.variant, t.last_variant),
                   repeat_variant = case when p.variant is null then t.repeat_variant else null end
               from planned p
               where t.subscriber_id = p.subscriber_id and t.track = p.track and t.next_due_at = p.due_at
               returning t.subscriber_id, t.track
           ), queued as (
               insert into deliveries (subscriber_id, kind, track, variant, slot, due_at, answer_by)
               select p.subscriber_id, 'nudge', p.track, p.variant, p.slot, p.slot, p.next_due_at
               from planned p join moved m on m.subscriber_id = p.subscriber_id and m.track = p.track
               where p.slot is not null
               on conflict (subscriber_id, kind, coalesce(track, ''), slot) where promise_id is null do nothing
               returning 1
           )
           select (select count(distinct subscriber_id) from moved) as "subscribers!",
                  (select count(*) from queued) as "nudges!""#,
        &ids,
        &tracks as &[&str],
        &read,
        &next,
        &variants as &[Option<&str>],
        &slots as &[Option<DateTime<Utc>>]
    )
    .fetch_one(conn)
    .await
    .context("failed to write a planning batch")?;
    Ok(Written { subscribers: row.subscribers as usize, nudges: row.nudges as u64 })
}

/// The lowest and highest subscriber id, for splitting a sweep into ranges.
#[tracing::instrument(skip_all)]
pub async fn id_bounds(db: impl PgExecutor<'_>) -> anyhow::Result<Option<(i64, i64)>> {
    let row = sqlx::query!(r#"select min(id) as low, max(id) as high from subscribers"#)
        .fetch_one(db)
        .await
        .context("failed to read the subscriber id range")?;
    Ok(row.low.zip(row.high))
}
