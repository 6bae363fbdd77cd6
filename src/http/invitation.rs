//! `GET /invited/{token}`: the subscribe page an invitation's button opens,
//! with the partner's tracks preselected and the invitation sent back with
//! the form. The usual double opt-in follows; when the invited address
//! confirms, the two are linked (`subscriptions::confirm`). Like the
//! invitation itself, the page carries the operator's safety line. The
//! invited person is nobody's subscriber yet: the page follows the
//! browser's language.
//!
//! The token's subject is the invitation and its generation the inviter's:
//! an inviter who signed out their links, left or was forgotten has
//! switched the invitation off, and the page says the link is not valid.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Html;
use chrono::Utc;

use super::AppState;
use super::error::{AppError, browser_locale};
use super::pages::{SubscribePage, TrackChoice, language_choices, render, zone_names};
use crate::domain::{Purpose, TimeOfDay, Track};
use crate::i18n;
use crate::mail::notes;
use crate::store;

pub async fn page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Html<String>, AppError> {
    verify(&state, &token).await?;
    let locale = browser_locale(&headers);
    let t = i18n::tr(&locale);
    Ok(Html(render(&SubscribePage {
        t,
        languages: language_choices(&locale),
        zones: zone_names(),
        tracks: TrackChoice::list(t, |track| Track::partner_defaults().contains(track)),
        time: TimeOfDay::DEFAULT.to_string(),
        invitation: Some(token),
        safety_note: Some(notes::safety(state.catalog.notes(&locale), &state.lines)),
    })))
}

/// The invitation a token names, if it is genuine, unexpired and of its
/// inviter's current link generation.
pub async fn verify(state: &AppState, token: &str) -> Result<i64, AppError> {
    let claims = state.links.signer().verify(token, Purpose::Invitation, Utc::now())?;
    let invitation = store::partners::invitation(&state.pool, claims.subject).await?.ok_or(AppError::InvalidLink)?;
    Ok(claims.current(invitation.inviter_generation)?.subject)
}
