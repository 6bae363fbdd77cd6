//! Subscribe requests waiting for their confirmation, and the inbox they go
//! to. A request for an address that has a row (pending, or unsubscribed)
//! is kept here and applied only when its confirmation is pressed, so
//! nobody can change a stranger's settings by subscribing them. Every
//! subscribe holds its inbox's lock for its transaction, so the cap on
//! confirmation mails holds under concurrent requests for many aliases.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use super::subscribers::Preferences;
use crate::domain::{Locale, MailboxKey, TimeOfDay, TimeZone, TrackSet};

/// The advisory lock namespace of inboxes (the two-key form, whose keys
/// never meet the one-key singleton locks).
const MAILBOX_LOCKS: i32 = 0x7465_6e64;

/// What a pending request asks for.
#[derive(Debug, Clone)]
pub struct Requested {
    pub preferences: Preferences,
    pub tracks: TrackSet,
}

/// Holds `mailbox`'s lock until the transaction ends.
pub async fn lock_mailbox(conn: &mut PgConnection, mailbox: &MailboxKey) -> anyhow::Result<()> {
    sqlx::query!(r#"select from pg_advisory_xact_lock($1, hashtext($2))"#, MAILBOX_LOCKS, mailbox.as_str())
        .execute(conn)
        .await
        .context("failed to lock an inbox")?;
    Ok(())
}

/// When an address of this inbox last unsubscribed, if one is unsubscribed.
pub async fn unsubscribed_at(conn: &mut PgConnection, mailbox: &MailboxKey) -> anyhow::Result<Option<DateTime<Utc>>> {
    sqlx::query_scalar!(
        r#"select max(status_changed_at) from subscribers where mailbox = $1 and status = 'unsubscribed'"#,
        mailbox.as_str()
    )
    .fetch_one(conn)
    .await
    .context("failed to look for an unsubscribed address")
}

/// Confirmation mails queued since `since` for any address of this inbox.
pub async fn confirmations_since(
    conn: &mut PgConnection,
    mailbox: &MailboxKey,
    since: DateTime<Utc>,
) -> anyhow::Result<i64> {
    sqlx::query_scalar!(
        r#"select count(*) as "n!" from deliveries d join subscribers s on s.id = d.subscriber_id
           where s.mailbox = $1 and d.kind = 'confirm' and d.created_at >= $2"#,
        mailbox.as_str(),
        since
    )
    .fetch_one(conn)
    .await
    .context("failed to count confirmation mails")
}

/// Keeps what was asked for (replacing an earlier request).
#[tracing::instrument(skip_all, fields(subscriber_id))]
pub async fn put(conn: &mut PgConnection, subscriber_id: i64, requested: &Requested) -> anyhow::Result<()> {
    let prefs = &requested.preferences;
    sqlx::query!(
        r#"insert into subscription_requests (subscriber_id, timezone, send_time, max_per_day, discreet, tracks, locale)
           values ($1, $2, $3, $4, $5, $6, $7)
           on conflict (subscriber_id) do update
           set timezone = excluded.timezone, send_time = excluded.send_time, max_per_day = excluded.max_per_day,
               discreet = excluded.discreet, tracks = excluded.tracks, locale = excluded.locale,
               requested_at = now()"#,
        subscriber_id,
        prefs.zone.name(),
        prefs.time.naive(),
        prefs.max_per_day as i16,
        prefs.discreet,
        &requested.tracks.keys(),
        prefs.locale.as_str()
    )
    .execute(conn)
    .await
    .context("failed to keep a subscribe request")?;
    Ok(())
}

/// Removes and returns the subscriber's request, if any.
#[tracing::instrument(skip_all, fields(subscriber_id))]
pub async fn take(conn: &mut PgConnection, subscriber_id: i64) -> anyhow::Result<Option<Requested>> {
    let Some(row) = sqlx::query!(
        r#"delete from subscription_requests where subscriber_id = $1
           returning timezone, send_time, max_per_day, discreet, tracks, locale"#,
        subscriber_id
    )
    .fetch_optional(conn)
    .await
    .context("failed to take a subscribe request")?
    else {
        return Ok(None);
    };
    let preferences = Preferences {
        zone: TimeZone::parse(&row.timezone).context("a stored request's zone no longer parses")?,
        time: TimeOfDay::from_naive(row.send_time),
        max_per_day: row.max_per_day.max(1) as u32,
        discreet: row.discreet,
        // A locale tend no longer knows reads in English rather than not at all.
        locale: Locale::or_en(&row.locale),
    };
    let tracks = TrackSet::parse(row.tracks.iter().map(String::as_str)).context("a stored request's tracks")?;
    Ok(Some(Requested { preferences, tracks }))
}

/// A waiting request as stored, for `tend subscriber export`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RequestRecord {
    pub timezone: String,
    pub send_time: chrono::NaiveTime,
    pub max_per_day: i16,
    pub discreet: bool,
    pub tracks: Vec<String>,
    pub locale: String,
    pub requested_at: DateTime<Utc>,
}

#[tracing::instrument(skip_all, fields(subscriber_id))]
pub async fn record(db: impl sqlx::PgExecutor<'_>, subscriber_id: i64) -> anyhow::Result<Option<RequestRecord>> {
    sqlx::query_as!(
        RequestRecord,
        r#"select timezone, send_time, max_per_day, discreet, tracks, locale, requested_at
           from subscription_requests where subscriber_id = $1"#,
        subscriber_id
    )
    .fetch_optional(db)
    .await
    .context("failed to load a subscribe request for export")
}

/// What the pending-TTL job deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Expired {
    /// Never-confirmed subscribers (their deliveries and tracks went with them).
    pub subscribers: u64,
    /// Requests of existing subscribers that were never confirmed.
    pub requests: u64,
}

/// Deletes what was asked for before `cutoff` and never confirmed: pending
/// subscribers whose last request is that old (with their mail, by
/// cascade), and other subscribers' requests that old. Nothing else.
#[tracing::instrument(skip_all)]
pub async fn delete_unconfirmed(conn: &mut PgConnection, cutoff: DateTime<Utc>) -> anyhow::Result<Expired> {
    let subscribers = sqlx::query!(
        r#"delete from subscribers s
           where s.status = 'pending' and s.created_at < $1
             and not exists (select from subscription_requests r
                             where r.subscriber_id = s.id and r.requested_at >= $1)"#,
        cutoff
    )
    .execute(&mut *conn)
    .await
    .context("failed to delete unconfirmed subscribers")?
    .rows_affected();
    let requests = sqlx::query!(r#"delete from subscription_requests where requested_at < $1"#, cutoff)
        .execute(&mut *conn)
        .await
        .context("failed to delete unconfirmed requests")?
        .rows_affected();
    Ok(Expired { subscribers, requests })
}
