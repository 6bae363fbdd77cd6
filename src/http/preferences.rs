//! `GET|POST /me/{token}`: preferences, pause and resume, and progress.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Html;
use chrono::Utc;

use super::AppState;
use super::error::AppError;
use super::fields::Fields;
use super::pages::{MessagePage, PreferencesPage, TrackChoice, TrackProgress, local_when, render, zone_names};
use crate::domain::{Purpose, TimeOfDay, TimeZone, Track, TrackSet};
use crate::store::{self, subscribers::Preferences};
use crate::subscriptions::{self, ErasureRequester, PreferencesChange};

pub async fn page(State(state): State<AppState>, Path(token): Path<String>) -> Result<Html<String>, AppError> {
    let subscriber_id = verify(&state, &token)?;
    Ok(Html(render(&build_page(&state, &token, subscriber_id, None).await?)))
}

#[tracing::instrument(name = "preferences", skip_all)]
pub async fn submit(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Html<String>, AppError> {
    let subscriber_id = verify(&state, &token)?;
    let fields = Fields::parse(&headers, &body)?;
    let notice = match fields.get("action").unwrap_or("save") {
        "save" => {
            let change = parse_change(&fields)?;
            if !subscriptions::update_preferences(&state.pool, subscriber_id, change, state.scheduling).await? {
                return Err(AppError::InvalidLink);
            }
            "Saved. Your next nudges follow the new settings."
        }
        "pause" => {
            subscriptions::pause(&state.pool, subscriber_id).await?.ok_or(AppError::InvalidLink)?;
            "Paused. No nudges will come until you resume."
        }
        "resume" => {
            subscriptions::resume(&state.pool, subscriber_id, state.scheduling).await?.ok_or(AppError::InvalidLink)?;
            "Welcome back. Your nudges start again at your next slot."
        }
        "delete" => return delete(&state, subscriber_id, &fields).await,
        _ => return Err(AppError::bad_input("action", "unknown action: use save, pause, resume or delete")),
    };
    Ok(Html(render(&build_page(&state, &token, subscriber_id, Some(notice.into())).await?)))
}

/// Erases everything tend holds about the subscriber, after an explicit tick.
async fn delete(state: &AppState, subscriber_id: i64, fields: &Fields) -> Result<Html<String>, AppError> {
    if fields.get("confirm_delete") != Some("yes") {
        return Err(AppError::bad_input(
            "confirm_delete",
            "tick the box to confirm that all your data should be deleted",
        ));
    }
    subscriptions::forget(&state.pool, subscriber_id, ErasureRequester::Subscriber)
        .await?
        .ok_or(AppError::InvalidLink)?;
    let page = MessagePage::new(
        "Your data is deleted",
        vec![
            "Your address, your preferences, your nudges and your answers are gone. No more mail will come.".into(),
            "Thank you for the time you gave this. We wish you well.".into(),
        ],
    );
    Ok(Html(render(&page)))
}

fn verify(state: &AppState, token: &str) -> Result<i64, AppError> {
    Ok(state.links.signer().verify(token, Purpose::Preferences, Utc::now())?.subject)
}

fn parse_change(fields: &Fields) -> Result<PreferencesChange, AppError> {
    let zone =
        TimeZone::parse(fields.get("timezone").unwrap_or_default()).map_err(|e| AppError::bad_input("timezone", e))?;
    let time = TimeOfDay::parse(fields.get("time").unwrap_or_default()).map_err(|e| AppError::bad_input("time", e))?;
    let max_per_day =
        match fields.get("max_per_day") {
            None => 1,
            Some(text) => text.trim().parse::<u32>().ok().filter(|n| (1..=5).contains(n)).ok_or_else(|| {
                AppError::bad_input("max_per_day", "nudges per day must be a whole number from 1 to 5")
            })?,
        };
    let tracks = TrackSet::parse(fields.all("tracks")).map_err(|e| AppError::bad_input("tracks", e))?;
    Ok(PreferencesChange { preferences: Preferences { zone, time, max_per_day }, tracks })
}

async fn build_page(
    state: &AppState,
    token: &str,
    subscriber_id: i64,
    notice: Option<String>,
) -> Result<PreferencesPage, AppError> {
    let subscriber = store::subscribers::get(&state.pool, subscriber_id).await?.ok_or(AppError::InvalidLink)?;
    let tracks = store::tracks::list(&state.pool, subscriber_id).await?;
    let tally = store::answers::tally(&state.pool, subscriber_id).await?;
    let enabled = |t: Track| tracks.iter().any(|s| s.track == t && s.enabled);
    let progress = Track::ALL
        .into_iter()
        .filter(|t| tracks.iter().any(|s| s.track == *t))
        .map(|t| {
            let state = tracks.iter().find(|s| s.track == t);
            let (done, partly, not_yet) =
                tally.iter().find(|(k, ..)| k == t.key()).map_or((0, 0, 0), |(_, d, p, n)| (*d, *p, *n));
            TrackProgress {
                title: t.title(),
                enabled: enabled(t),
                next: state
                    .and_then(|s| s.next_due_at)
                    .map_or_else(|| "not scheduled".into(), |at| local_when(at, subscriber.zone)),
                done,
                partly,
                not_yet,
            }
        })
        .collect();
    Ok(PreferencesPage {
        action_url: state.links.absolute(&format!("me/{token}")),
        email: subscriber.email.to_string(),
        status: subscriber.status.key(),
        zones: zone_names(),
        zone: subscriber.zone.name(),
        time: subscriber.time.to_string(),
        max_per_day: subscriber.max_per_day,
        tracks: TrackChoice::list(enabled),
        progress,
        unsubscribe_url: state.links.unsubscribe(subscriber_id, Utc::now()),
        notice,
    })
}
