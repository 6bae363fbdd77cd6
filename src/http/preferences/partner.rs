//! The partner actions of the preferences page: inviting one's partner,
//! this side's switch for the shared signal, and ending the link. Each
//! answers with a notice on the page; none says anything about the other
//! side (whether an invitation was sent, accepted, or the other's switch).

use super::super::AppState;
use super::super::error::AppError;
use super::super::fields::Fields;
use crate::domain::{FromName, SubscriberEmail, parse_on_off};
use crate::subscriptions::{self, InvitationRequest, InviteOutcome};

/// The same words whether the invitation went out, was refused for the
/// address, or came too soon after another: the inviter learns nothing
/// about the address.
const INVITED: &str = "notice-partner-invited";

pub async fn invite(state: &AppState, subscriber_id: i64, fields: &Fields) -> Result<&'static str, AppError> {
    let request = parse_invitation(fields)?;
    let outcome = subscriptions::invite(&state.pool, subscriber_id, request).await?;
    tracing::info!(?outcome, "invitation request handled");
    match outcome {
        InviteOutcome::Queued | InviteOutcome::Declined | InviteOutcome::TooSoon => Ok(INVITED),
        InviteOutcome::NotAllowed => Err(AppError::bad_input(
            "action",
            "an invitation can be sent from a confirmed subscription that is on no partner link: end the link first",
        )),
    }
}

fn parse_invitation(fields: &Fields) -> Result<InvitationRequest, AppError> {
    let partner = SubscriberEmail::parse(fields.get("partner_email").unwrap_or_default())
        .map_err(|e| AppError::bad_input("partner_email", e))?;
    let from_name = FromName::parse(fields.get("from_name").unwrap_or_default())
        .map_err(|e| AppError::bad_input("from_name", e))?;
    let show_address = match fields.get("show_my_address") {
        None => false,
        Some(value) => parse_on_off(value).map_err(|e| AppError::bad_input("show_my_address", e))?,
    };
    Ok(InvitationRequest { partner, from_name, show_address })
}

pub async fn set_signal(state: &AppState, subscriber_id: i64, on: bool) -> Result<&'static str, AppError> {
    if !subscriptions::set_shared_signal(&state.pool, subscriber_id, on).await? {
        return Err(AppError::bad_input("action", "there is no partner link to switch the signal of"));
    }
    Ok(match on {
        true => "notice-signal-on",
        false => "notice-signal-off",
    })
}

pub async fn unlink(state: &AppState, subscriber_id: i64) -> Result<&'static str, AppError> {
    subscriptions::unlink(&state.pool, subscriber_id).await?;
    Ok("notice-unlinked")
}
