//! Subscribers: address, zone, preferred time and the subscription's status.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};

use crate::domain::{
    LinkGeneration, Locale, MailboxKey, Scheduling, Slots, SubscriberEmail, SubscriberStatus, TimeOfDay, TimeZone,
};

/// A subscriber as stored, parsed back into domain types.
#[derive(Debug, Clone)]
pub struct Subscriber {
    pub id: i64,
    pub email: SubscriberEmail,
    pub zone: TimeZone,
    pub time: TimeOfDay,
    pub max_per_day: u32,
    pub status: SubscriberStatus,
    pub created_at: DateTime<Utc>,
    /// The language tend writes to them in.
    pub locale: Locale,
    /// Only links of this generation work (unsubscribe links excepted).
    pub link_generation: LinkGeneration,
    /// Neutral From name, subjects and headings.
    pub discreet: bool,
}

impl Subscriber {
    /// This subscriber's delivery rhythm.
    pub fn slots(&self, scheduling: &Scheduling) -> Slots {
        scheduling.slots_for(self.id, self.zone, self.time)
    }
}

/// What a new or returning subscriber asked for.
#[derive(Debug, Clone)]
pub struct Preferences {
    pub zone: TimeZone,
    pub time: TimeOfDay,
    pub max_per_day: u32,
    /// Discreet mail: neutral From name, subjects and headings.
    pub discreet: bool,
    /// The language of their mails and pages.
    pub locale: Locale,
}

struct Row {
    id: i64,
    email: String,
    timezone: String,
    send_time: chrono::NaiveTime,
    max_per_day: i16,
    status: String,
    created_at: DateTime<Utc>,
    locale: String,
    link_generation: i32,
    discreet: bool,
}

impl TryFrom<Row> for Subscriber {
    type Error = anyhow::Error;

    fn try_from(row: Row) -> anyhow::Result<Self> {
        Ok(Subscriber {
            id: row.id,
            email: SubscriberEmail::parse(&row.email).context("stored email no longer parses")?,
            zone: TimeZone::parse(&row.timezone).context("stored time zone no longer parses")?,
            time: TimeOfDay::from_naive(row.send_time),
            max_per_day: row.max_per_day.max(1) as u32,
            status: SubscriberStatus::from_key(&row.status)?,
            created_at: row.created_at,
            // A locale tend no longer knows reads in English rather than not at all.
            locale: Locale::or_en(&row.locale),
            link_generation: LinkGeneration::from_stored(row.link_generation)?,
            discreet: row.discreet,
        })
    }
}

#[tracing::instrument(skip_all)]
pub async fn find_by_email(db: impl PgExecutor<'_>, email: &SubscriberEmail) -> anyhow::Result<Option<Subscriber>> {
    sqlx::query_as!(
        Row,
        r#"select id, email, timezone, send_time, max_per_day, status, created_at, locale, link_generation, discreet
           from subscribers where lower(email) = lower($1)"#,
        email.as_str()
    )
    .fetch_optional(db)
    .await
    .context("failed to look up a subscriber by email")?
    .map(Subscriber::try_from)
    .transpose()
}

#[tracing::instrument(skip_all, fields(subscriber_id = id))]
pub async fn get(db: impl PgExecutor<'_>, id: i64) -> anyhow::Result<Option<Subscriber>> {
    sqlx::query_as!(
        Row,
        r#"select id, email, timezone, send_time, max_per_day, status, created_at, locale, link_generation, discreet
           from subscribers where id = $1"#,
        id
    )
    .fetch_optional(db)
    .await
    .context("failed to load a subscriber")?
    .map(Subscriber::try_from)
    .transpose()
}

/// Loads and locks a subscriber for the rest of the transaction, so that an
/// answer, a preference change and the planner never interleave on one person.
#[tracing::instrument(skip_all, fields(subscriber_id = id))]
pub async fn lock(conn: &mut PgConnection, id: i64) -> anyhow::Result<Option<Subscriber>> {
    sqlx::query_as!(
        Row,
        r#"select id, email, timezone, send_time, max_per_day, status, created_at, locale, link_generation, discreet
           from subscribers where id = $1 for update"#,
        id
    )
    .fetch_optional(conn)
    .await
    .context("failed to lock a subscriber")?
    .map(Subscriber::try_from)
    .transpose()
}

/// Inserts a pending subscriber with what they asked for.
#[tracing::instrument(skip_all)]
pub async fn insert_pending(
    conn: &mut PgConnection,
    email: &SubscriberEmail,
    mailbox: &MailboxKey,
    prefs: &Preferences,
) -> anyhow::Result<Subscriber> {
    sqlx::query_as!(
        Row,
        r#"insert into subscribers (email, mailbox, timezone, send_time, max_per_day, discreet, locale, status)
           values ($1, $2, $3, $4, $5, $6, $7, 'pending')
           returning id, email, timezone, send_time, max_per_day, status, created_at, locale, link_generation, discreet"#,
        email.as_str(),
        mailbox.as_str(),
        prefs.zone.name(),
        prefs.time.naive(),
        prefs.max_per_day as i16,
        prefs.discreet,
        prefs.locale.as_str()
    )
    .fetch_one(conn)
    .await
    .context("failed to insert a subscriber")?
    .try_into()
}

/// Loads and locks the subscriber with this address, whatever its case.
#[tracing::instrument(skip_all)]
pub async fn lock_by_email(conn: &mut PgConnection, email: &SubscriberEmail) -> anyhow::Result<Option<Subscriber>> {
    sqlx::query_as!(
        Row,
        r#"select id, email, timezone, send_time, max_per_day, status, created_at, locale, link_generation, discreet
           from subscribers where lower(email) = lower($1) for update"#,
        email.as_str()
    )
    .fetch_optional(conn)
    .await
    .context("failed to lock a subscriber by address")?
    .map(Subscriber::try_from)
    .transpose()
}

#[tracing::instrument(skip_all, fields(subscriber_id = id))]
pub async fn update_preferences(conn: &mut PgConnection, id: i64, prefs: &Preferences) -> anyhow::Result<()> {
    sqlx::query!(
        r#"update subscribers set timezone = $2, send_time = $3, max_per_day = $4, discreet = $5, locale = $6
           where id = $1"#,
        id,
        prefs.zone.name(),
        prefs.time.naive(),
        prefs.max_per_day as i16,
        prefs.discreet,
        prefs.locale.as_str()
    )
    .execute(conn)
    .await
    .context("failed to update a subscriber's preferences")?;
    Ok(())
}

/// Discreet mail on, whatever else is waiting for a confirmation: a request
/// may make mail more discreet at once, never less.
#[tracing::instrument(skip_all, fields(subscriber_id = id))]
pub async fn switch_discreet_on(conn: &mut PgConnection, id: i64) -> anyhow::Result<()> {
    sqlx::query!(r#"update subscribers set discreet = true where id = $1"#, id)
        .execute(conn)
        .await
        .context("failed to switch discreet mail on")?;
    Ok(())
}

#[tracing::instrument(skip_all, fields(subscriber_id = id, status = status.key()))]
pub async fn set_status(conn: &mut PgConnection, id: i64, status: SubscriberStatus) -> anyhow::Result<()> {
    sqlx::query!(
        r#"update subscribers
           set status = $2,
               status_changed_at = now(),
               confirmed_at = case when $2 = 'active' then coalesce(confirmed_at, now()) else confirmed_at end
           where id = $1"#,
        id,
        status.key()
    )
    .execute(conn)
    .await
    .context("failed to change a subscriber's status")?;
    Ok(())
}

/// Subscribers in a status, oldest first (`tend subscriber list`).
pub async fn list(db: impl PgExecutor<'_>, limit: i64) -> anyhow::Result<Vec<Subscriber>> {
    sqlx::query_as!(
        Row,
        r#"select id, email, timezone, send_time, max_per_day, status, created_at, locale, link_generation, discreet
           from subscribers order by id limit $1"#,
        limit
    )
    .fetch_all(db)
    .await
    .context("failed to list subscribers")?
    .into_iter()
    .map(Subscriber::try_from)
    .collect()
}

/// Several subscribers by id, in one round trip.
pub async fn get_many(db: impl PgExecutor<'_>, ids: &[i64]) -> anyhow::Result<Vec<Subscriber>> {
    sqlx::query_as!(
        Row,
        r#"select id, email, timezone, send_time, max_per_day, status, created_at, locale, link_generation, discreet
           from subscribers where id = any($1)"#,
        ids
    )
    .fetch_all(db)
    .await
    .context("failed to load subscribers")?
    .into_iter()
    .map(Subscriber::try_from)
    .collect()
}

/// (status, count) for metrics and `tend stats`.
pub async fn count_by_status(db: impl PgExecutor<'_>) -> anyhow::Result<Vec<(String, i64)>> {
    let rows = sqlx::query!(r#"select status, count(*) as "n!" from subscribers group by status order by status"#)
        .fetch_all(db)
        .await
        .context("failed to count subscribers")?;
    Ok(rows.into_iter().map(|r| (r.status, r.n)).collect())
}

/// Counts an unanswered nudge; returns the misses in a row afterwards.
pub async fn add_miss(conn: &mut PgConnection, id: i64) -> anyhow::Result<u32> {
    let misses = sqlx::query_scalar!(
        r#"update subscribers set consecutive_misses = consecutive_misses + 1 where id = $1
           returning consecutive_misses"#,
        id
    )
    .fetch_one(conn)
    .await
    .context("failed to count a miss")?;
    Ok(misses.max(0) as u32)
}

/// Any answer, or coming back, clears the misses in a row.
pub async fn clear_misses(conn: &mut PgConnection, id: i64) -> anyhow::Result<()> {
    sqlx::query!(r#"update subscribers set consecutive_misses = 0 where id = $1"#, id)
        .execute(conn)
        .await
        .context("failed to clear misses")?;
    Ok(())
}

/// When the subscriber's next weekly summary is due, if they chose one.
pub async fn weekly_summary(db: impl PgExecutor<'_>, id: i64) -> anyhow::Result<Option<DateTime<Utc>>> {
    let row = sqlx::query!(r#"select weekly_summary, next_summary_at from subscribers where id = $1"#, id)
        .fetch_optional(db)
        .await
        .context("failed to read the weekly summary choice")?;
    Ok(row.filter(|r| r.weekly_summary).map(|r| r.next_summary_at.unwrap_or(DateTime::<Utc>::MIN_UTC)))
}

/// Switches the weekly summary on (first one at `first`) or off.
pub async fn set_weekly_summary(conn: &mut PgConnection, id: i64, first: Option<DateTime<Utc>>) -> anyhow::Result<()> {
    sqlx::query!(
        r#"update subscribers set weekly_summary = $2, next_summary_at = $3 where id = $1"#,
        id,
        first.is_some(),
        first
    )
    .execute(conn)
    .await
    .context("failed to change the weekly summary choice")?;
    Ok(())
}

/// Active subscribers whose weekly summary is due, locked for planning.
pub async fn lock_due_summaries(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> anyhow::Result<Vec<(i64, DateTime<Utc>)>> {
    let rows = sqlx::query!(
        r#"select id, next_summary_at as "next_summary_at!" from subscribers
           where weekly_summary and status = 'active' and next_summary_at <= $1
           order by next_summary_at limit $2
           for update skip locked"#,
        now,
        limit
    )
    .fetch_all(conn)
    .await
    .context("failed to find due weekly summaries")?;
    Ok(rows.into_iter().map(|r| (r.id, r.next_summary_at)).collect())
}

pub async fn set_next_summary(conn: &mut PgConnection, id: i64, next: DateTime<Utc>) -> anyhow::Result<()> {
    sqlx::query!(r#"update subscribers set next_summary_at = $2 where id = $1"#, id, next)
        .execute(conn)
        .await
        .context("failed to schedule the next weekly summary")?;
    Ok(())
}
