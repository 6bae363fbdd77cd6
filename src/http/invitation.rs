//! `GET /invited/{token}`: the subscribe page an invitation's button opens,
//! with the partner's tracks preselected and the invitation sent back with
//! the form. The usual double opt-in follows; when the invited address
//! confirms, the two are linked (`subscriptions::confirm`). Like the
//! invitation itself, the page carries the operator's safety line.
//!
//! The token's subject is the invitation and its generation the inviter's:
//! an inviter who signed out their links, left or was forgotten has
//! switched the invitation off, and the page says the link is not valid.

use axum::extract::{Path, State};
use axum::response::Html;
use chrono::Utc;

use super::AppState;
use super::error::AppError;
use super::pages::{SubscribePage, TrackChoice, render, zone_names};
use crate::domain::{Locale, Purpose, TimeOfDay, Track};
use crate::mail::notes;
use crate::store;

pub async fn page(State(state): State<AppState>, Path(token): Path<String>) -> Result<Html<String>, AppError> {
    verify(&state, &token).await?;
    Ok(Html(render(&SubscribePage {
        zones: zone_names(),
        tracks: TrackChoice::list(|t| Track::partner_defaults().contains(t)),
        time: TimeOfDay::DEFAULT.to_string(),
        invitation: Some(token),
        safety_note: Some(notes::safety(state.catalog.notes(&Locale::en()), &state.lines)),
    })))
}

/// The invitation a token names, if it is genuine, unexpired and of its
/// inviter's current link generation.
pub async fn verify(state: &AppState, token: &str) -> Result<i64, AppError> {
    let claims = state.links.signer().verify(token, Purpose::Invitation, Utc::now())?;
    let invitation = store::partners::invitation(&state.pool, claims.subject).await?.ok_or(AppError::InvalidLink)?;
    Ok(claims.current(invitation.inviter_generation)?.subject)
}
