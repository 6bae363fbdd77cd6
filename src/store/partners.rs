//! Partners: invitations, the links between two subscribers, and the
//! weekly shared signal's facts.
//!
//! A link is one `partner_links` row per side sharing a `link_id`: the
//! inviter's from the invitation on, the invited partner's from their
//! confirmation. Each side reads and writes only its own row (its switch
//! for the shared signal; ending the link deletes it), so what a side sees
//! never depends on the other. What any query here returns about the
//! *other* side is at most whether both rows exist with both switches on
//! and both answered in a week: nothing else crosses.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};

use crate::domain::{FromName, LinkGeneration, SubscriberEmail};

/// An invitation, as its subscribe page and its mail need it.
#[derive(Debug, Clone)]
pub struct Invitation {
    pub id: i64,
    pub inviter_id: i64,
    /// The invited address, lower-cased.
    pub email: String,
    pub from_name: Option<FromName>,
    /// The inviter's address, when they chose to show it.
    pub shown_address: Option<SubscriberEmail>,
    /// The inviter's link generation: the invitation's link is minted in it.
    pub inviter_generation: LinkGeneration,
}

/// One side of a link, as that side's own pages show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Side {
    pub link_id: i64,
    /// This side's own switch; the other side's is never read for a page.
    pub signal: bool,
}

/// Serialises invitations to one address for the rest of the transaction,
/// so that two concurrent invitations cannot both pass the 30-day check.
pub async fn lock_address(conn: &mut PgConnection, email: &str) -> anyhow::Result<()> {
    sqlx::query!("select pg_advisory_xact_lock(hashtextextended('invitation:' || lower($1), 0))", email)
        .fetch_one(conn)
        .await
        .context("failed to lock an invited address")?;
    Ok(())
}

/// Whether an address must get nothing from tend: a relay said it does not
/// exist (5.1.x), or its subscriber unsubscribed.
pub async fn address_declines_mail(conn: &mut PgConnection, email: &str) -> anyhow::Result<bool> {
    sqlx::query_scalar!(
        r#"select exists(select 1 from suppressed_addresses where email = lower($1))
               or exists(select 1 from subscribers where lower(email) = lower($1) and status = 'unsubscribed')
               as "declines!""#,
        email
    )
    .fetch_one(conn)
    .await
    .context("failed to check an invited address")
}

/// Invitations to an address since `since`, from anyone.
pub async fn invitations_since(conn: &mut PgConnection, email: &str, since: DateTime<Utc>) -> anyhow::Result<i64> {
    sqlx::query_scalar!(
        r#"select count(*) as "n!" from partner_invitations where email = lower($1) and created_at >= $2"#,
        email,
        since
    )
    .fetch_one(conn)
    .await
    .context("failed to count invitations")
}

/// Starts a link with the subscriber's own side; its `link_id`.
pub async fn start_link(conn: &mut PgConnection, subscriber_id: i64) -> anyhow::Result<i64> {
    sqlx::query_scalar!(
        "insert into partner_links (subscriber_id, link_id) values ($1, nextval('partner_link_ids')) returning link_id",
        subscriber_id
    )
    .fetch_one(conn)
    .await
    .context("failed to start a partner link")
}

pub async fn insert_invitation(
    conn: &mut PgConnection,
    inviter_id: i64,
    link_id: i64,
    email: &SubscriberEmail,
    from_name: Option<&FromName>,
    show_address: bool,
) -> anyhow::Result<i64> {
    sqlx::query_scalar!(
        r#"insert into partner_invitations (inviter_id, link_id, email, from_name, show_address)
           values ($1, $2, lower($3), $4, $5) returning id"#,
        inviter_id,
        link_id,
        email.as_str(),
        from_name.map(FromName::as_str),
        show_address
    )
    .fetch_one(conn)
    .await
    .context("failed to record an invitation")
}

/// One invitation with its inviter's link generation and, if shown, address.
pub async fn invitation(db: impl PgExecutor<'_>, id: i64) -> anyhow::Result<Option<Invitation>> {
    let row = sqlx::query!(
        r#"select i.id, i.inviter_id, i.email, i.from_name, i.show_address, s.email as inviter_email,
                  s.link_generation
           from partner_invitations i join subscribers s on s.id = i.inviter_id
           where i.id = $1"#,
        id
    )
    .fetch_optional(db)
    .await
    .context("failed to read an invitation")?;
    let Some(row) = row else { return Ok(None) };
    let shown_address = match row.show_address {
        true => Some(SubscriberEmail::parse(&row.inviter_email).context("stored email no longer parses")?),
        false => None,
    };
    Ok(Some(Invitation {
        id: row.id,
        inviter_id: row.inviter_id,
        email: row.email,
        from_name: row.from_name.map(FromName::from_stored),
        shown_address,
        inviter_generation: LinkGeneration::from_stored(row.link_generation)?,
    }))
}

/// Notes that `subscriber_id` subscribed through the invitation.
pub async fn accept(conn: &mut PgConnection, invitation_id: i64, subscriber_id: i64) -> anyhow::Result<()> {
    sqlx::query!("update partner_invitations set accepted_by = $2 where id = $1", invitation_id, subscriber_id)
        .execute(conn)
        .await
        .context("failed to accept an invitation")?;
    Ok(())
}

/// The link of the latest invitation this subscriber came through.
pub async fn accepted_link(conn: &mut PgConnection, subscriber_id: i64) -> anyhow::Result<Option<i64>> {
    sqlx::query_scalar!(
        r#"select link_id from partner_invitations where accepted_by = $1 order by created_at desc limit 1"#,
        subscriber_id
    )
    .fetch_optional(conn)
    .await
    .context("failed to read an accepted invitation")
}

/// Adds the subscriber's side to a link, if the inviter's side is still
/// there (they did not end it), it has no second side yet, and the
/// subscriber is on no link (`false` otherwise).
pub async fn join_link(conn: &mut PgConnection, subscriber_id: i64, link_id: i64) -> anyhow::Result<bool> {
    let inserted = sqlx::query!(
        r#"insert into partner_links (subscriber_id, link_id)
           select $1, $2
           where (select count(*) from partner_links where link_id = $2) = 1
           on conflict do nothing"#,
        subscriber_id,
        link_id
    )
    .execute(conn)
    .await
    .context("failed to join a partner link")?;
    Ok(inserted.rows_affected() == 1)
}

/// This subscriber's side of their link, if they have one.
pub async fn side(db: impl PgExecutor<'_>, subscriber_id: i64) -> anyhow::Result<Option<Side>> {
    sqlx::query_as!(Side, "select link_id, signal from partner_links where subscriber_id = $1", subscriber_id)
        .fetch_optional(db)
        .await
        .context("failed to read a partner link")
}

/// Switches this side's signal; `false` if the subscriber has no link.
pub async fn set_signal(conn: &mut PgConnection, subscriber_id: i64, on: bool) -> anyhow::Result<bool> {
    let result = sqlx::query!("update partner_links set signal = $2 where subscriber_id = $1", subscriber_id, on)
        .execute(conn)
        .await
        .context("failed to switch the shared signal")?;
    Ok(result.rows_affected() == 1)
}

/// Ends the subscriber's side of their link: the signal stops for both, and
/// the other side's row, and so their page, stays as it was. The link's
/// weekly keys go with its last side. `false` if there was none.
pub async fn unlink(conn: &mut PgConnection, subscriber_id: i64) -> anyhow::Result<bool> {
    let link_id =
        sqlx::query_scalar!("delete from partner_links where subscriber_id = $1 returning link_id", subscriber_id)
            .fetch_optional(&mut *conn)
            .await
            .context("failed to end a partner link")?;
    let Some(link_id) = link_id else { return Ok(false) };
    sqlx::query!(
        r#"delete from shared_signal_weeks
           where link_id = $1 and not exists (select 1 from partner_links where link_id = $1)"#,
        link_id
    )
    .execute(conn)
    .await
    .context("failed to forget a link's weeks")?;
    Ok(true)
}

/// Whether the subscriber is linked and both sides have the signal on.
pub async fn signal_on_for_both(db: impl PgExecutor<'_>, subscriber_id: i64) -> anyhow::Result<bool> {
    sqlx::query_scalar!(
        r#"select count(*) = 2 and bool_and(signal) as "on!"
           from partner_links
           where link_id = (select link_id from partner_links where subscriber_id = $1)"#,
        subscriber_id
    )
    .fetch_one(db)
    .await
    .context("failed to read the shared signal")
}

/// The links whose two sides both have the signal on, are active, and both
/// answered at least one nudge in `[from, until)`: each as its two
/// subscriber ids.
pub async fn both_showed_up(
    conn: &mut PgConnection,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> anyhow::Result<Vec<(i64, Vec<i64>)>> {
    let rows = sqlx::query!(
        r#"select p.link_id, array_agg(p.subscriber_id order by p.subscriber_id) as "sides!"
           from partner_links p join subscribers s on s.id = p.subscriber_id
           where p.signal and s.status = 'active'
             and exists (select 1 from answers a
                         where a.subscriber_id = p.subscriber_id and a.answered_at >= $1 and a.answered_at < $2)
           group by p.link_id
           having count(*) = 2"#,
        from,
        until
    )
    .fetch_all(conn)
    .await
    .context("failed to find the week's shared signals")?;
    Ok(rows.into_iter().map(|r| (r.link_id, r.sides)).collect())
}

/// Takes the week's planning key for a link; `false` if it was taken before.
pub async fn claim_week(conn: &mut PgConnection, link_id: i64, week_start: DateTime<Utc>) -> anyhow::Result<bool> {
    let result = sqlx::query!(
        "insert into shared_signal_weeks (link_id, week_start) values ($1, $2) on conflict do nothing",
        link_id,
        week_start
    )
    .execute(conn)
    .await
    .context("failed to take a shared signal's week")?;
    Ok(result.rows_affected() == 1)
}

/// Deletes the invitations sent to an address (forgetting its subscriber).
pub async fn forget_invitations_to(conn: &mut PgConnection, email: &str) -> anyhow::Result<u64> {
    let result = sqlx::query!("delete from partner_invitations where email = lower($1)", email)
        .execute(conn)
        .await
        .context("failed to forget invitations to an address")?;
    Ok(result.rows_affected())
}

/// When a subscriber asked for invitations (their export; no addresses).
pub async fn invitations_sent(db: impl PgExecutor<'_>, inviter_id: i64) -> anyhow::Result<Vec<DateTime<Utc>>> {
    sqlx::query_scalar!(
        "select created_at from partner_invitations where inviter_id = $1 order by created_at",
        inviter_id
    )
    .fetch_all(db)
    .await
    .context("failed to list invitations sent")
}
