//! Partners: inviting one's partner, linking the two once the invited
//! partner confirms, each side's switch for the shared signal, and ending
//! the link. Each function is one transaction.
//!
//! Each side owns its row of a link: the inviter's is made with the
//! invitation, the invited partner's when they confirm through it, and
//! ending the link deletes only one's own (the signal needs both). So
//! nothing a side sees tells whether the other accepted, switched the
//! signal off or left.
//!
//! An invitation goes out at most once per [`INVITATION_EVERY`] to an
//! address, whoever asks: the address is normalised (lower case) and locked
//! for the transaction, so two concurrent invitations send one. An address
//! that unsubscribed or that a relay refused gets nothing, and the inviter
//! cannot tell (the page says the same for every outcome).

use anyhow::Context;
use chrono::Duration;
use sqlx::{PgConnection, PgPool};

use super::db_now;
use crate::domain::{DeliveryKind, FromName, SubscriberEmail};
use crate::store;
use crate::store::deliveries::{About, NewMail};

/// At most one invitation per address in this long, from anyone.
pub const INVITATION_EVERY: Duration = Duration::days(30);

/// What a subscriber asked to send.
#[derive(Debug, Clone)]
pub struct InvitationRequest {
    pub partner: SubscriberEmail,
    pub from_name: Option<FromName>,
    /// Show the inviter's own address in the invitation.
    pub show_address: bool,
}

/// What an invitation request came to. The inviter's page says the same for
/// `Queued`, `Declined` and `TooSoon`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InviteOutcome {
    Queued,
    /// The address unsubscribed, was refused by a relay, or is the inviter's own.
    Declined,
    /// An invitation went to this address less than 30 days ago.
    TooSoon,
    /// The inviter has not confirmed, has left, or is linked already.
    NotAllowed,
}

#[tracing::instrument(skip_all, fields(subscriber_id = inviter_id))]
pub async fn invite(pool: &PgPool, inviter_id: i64, request: InvitationRequest) -> anyhow::Result<InviteOutcome> {
    let mut tx = pool.begin().await.context("failed to start a transaction")?;
    let Some(inviter) = store::subscribers::lock(&mut tx, inviter_id).await? else {
        return Ok(InviteOutcome::NotAllowed);
    };
    let confirmed = DeliveryKind::Invitation.wanted_by(inviter.status);
    if !confirmed || store::partners::side(&mut *tx, inviter_id).await?.is_some() {
        return Ok(InviteOutcome::NotAllowed);
    }
    // The inviter's side exists whatever comes of the invitation, so their
    // page looks the same whether it went out, was declined or accepted.
    let link_id = store::partners::start_link(&mut tx, inviter_id).await?;
    let address = request.partner.as_str();
    store::partners::lock_address(&mut tx, address).await?;
    let since = db_now(&mut tx).await? - INVITATION_EVERY;
    let outcome = if address.eq_ignore_ascii_case(inviter.email.as_str())
        || store::partners::address_declines_mail(&mut tx, address).await?
    {
        InviteOutcome::Declined
    } else if store::partners::invitations_since(&mut tx, address, since).await? > 0 {
        InviteOutcome::TooSoon
    } else {
        let (partner, name) = (&request.partner, request.from_name.as_ref());
        let id = store::partners::insert_invitation(&mut tx, inviter_id, link_id, partner, name, request.show_address)
            .await?;
        let mail = NewMail { about: About::Invitation(id), ..NewMail::now(inviter_id, DeliveryKind::Invitation) };
        store::deliveries::queue_mail(&mut tx, mail).await?;
        InviteOutcome::Queued
    };
    tx.commit().await.context("failed to commit an invitation")?;
    Ok(outcome)
}

/// At subscribe time: a subscriber who came through an invitation's link
/// with the invited address itself is noted, to be linked on confirming.
/// A link forwarded to another address links nobody.
pub(super) async fn note_accepted(
    conn: &mut PgConnection,
    invitation_id: i64,
    subscriber_id: i64,
    email: &SubscriberEmail,
) -> anyhow::Result<()> {
    let Some(invitation) = store::partners::invitation(&mut *conn, invitation_id).await? else { return Ok(()) };
    if invitation.email.eq_ignore_ascii_case(email.as_str()) && invitation.inviter_id != subscriber_id {
        store::partners::accept(conn, invitation_id, subscriber_id).await?;
    }
    Ok(())
}

/// At confirming: the subscriber joins the link of the partner who invited
/// them, if that partner's side is still there (they did not end it or
/// leave) and the subscriber is on no link yet.
pub(super) async fn link_on_confirm(conn: &mut PgConnection, subscriber_id: i64) -> anyhow::Result<bool> {
    let Some(link_id) = store::partners::accepted_link(conn, subscriber_id).await? else { return Ok(false) };
    store::partners::join_link(conn, subscriber_id, link_id).await
}

/// Switches the subscriber's own side of the shared signal. `None`: no
/// such subscriber; `Some(false)`: not linked.
#[tracing::instrument(skip_all, fields(subscriber_id, on))]
pub async fn set_shared_signal(pool: &PgPool, subscriber_id: i64, on: bool) -> anyhow::Result<bool> {
    let mut tx = pool.begin().await.context("failed to start a transaction")?;
    let changed = store::partners::set_signal(&mut tx, subscriber_id, on).await?;
    tx.commit().await.context("failed to commit the shared signal")?;
    Ok(changed)
}

/// Ends the subscriber's side of their link; `false` if there was none.
#[tracing::instrument(skip_all, fields(subscriber_id))]
pub async fn unlink(pool: &PgPool, subscriber_id: i64) -> anyhow::Result<bool> {
    let mut tx = pool.begin().await.context("failed to start a transaction")?;
    let ended = store::partners::unlink(&mut tx, subscriber_id).await?;
    tx.commit().await.context("failed to commit an unlink")?;
    Ok(ended)
}
