//! `GET|POST /n/{token}`: a nudge and its answer buttons.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::error::{AppError, wants_json};
use super::fields::Fields;
use super::pages::{NudgePage, Recorded, local_when, render};
use crate::domain::{Action, Purpose, TimeZone, Track};
use crate::store::{self, nudges::NudgeView};
use crate::subscriptions::{self, AnswerOutcome};

#[derive(Deserialize)]
pub struct Preselect {
    a: Option<String>,
}

/// Shows the nudge. `?a=done` (the links in the mail) only highlights a
/// button: a link previewer fetching it records nothing.
pub async fn page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(preselect): Query<Preselect>,
) -> Result<Html<String>, AppError> {
    let (nudge, zone) = load(&state, &token).await?;
    let preselected = preselect.a.as_deref().and_then(|a| Action::parse(a).ok());
    let recorded = store::answers::find(&state.pool, nudge.id).await?;
    let track = Track::parse(&nudge.track).map_err(anyhow::Error::from)?;
    let recorded = match recorded {
        Some(answer) => {
            let next = next_due(&state, nudge.subscriber_id, track).await?;
            Some(recorded_box(answer.action, answer.answered_at, track, next, zone, false))
        }
        None => None,
    };
    Ok(Html(render(&nudge_page(&state, &token, &nudge, track, zone, preselected, recorded))))
}

#[tracing::instrument(name = "answer", skip_all)]
pub async fn submit(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let (nudge, _zone) = load(&state, &token).await?;
    let fields = Fields::parse(&headers, &body)?;
    let action =
        Action::parse(fields.get("action").unwrap_or_default()).map_err(|e| AppError::bad_input("action", e))?;
    let Some(outcome) = subscriptions::answer(&state.pool, nudge.id, action, state.scheduling).await? else {
        return Err(AppError::InvalidLink);
    };
    if wants_json(&headers) {
        return Ok(Json(answer_json(&outcome)).into_response());
    }
    let AnswerOutcome { action, answered_at, track, next_due, zone, recorded_now } = outcome;
    let recorded = recorded_box(action, answered_at, track, next_due, zone, recorded_now);
    Ok(Html(render(&nudge_page(&state, &token, &nudge, track, zone, None, Some(recorded)))).into_response())
}

/// Verifies the token and loads the nudge it names.
async fn load(state: &AppState, token: &str) -> Result<(NudgeView, TimeZone), AppError> {
    let claims = state.links.signer().verify(token, Purpose::Answer, Utc::now())?;
    let nudge = store::nudges::get(&state.pool, claims.subject).await?.ok_or(AppError::InvalidLink)?;
    let subscriber = store::subscribers::get(&state.pool, nudge.subscriber_id).await?.ok_or(AppError::InvalidLink)?;
    Ok((nudge, subscriber.zone))
}

async fn next_due(state: &AppState, subscriber_id: i64, track: Track) -> Result<Option<DateTime<Utc>>, AppError> {
    Ok(store::tracks::list(&state.pool, subscriber_id)
        .await?
        .into_iter()
        .find(|t| t.track == track && t.enabled)
        .and_then(|t| t.next_due_at))
}

fn nudge_page(
    state: &AppState,
    token: &str,
    nudge: &NudgeView,
    track: Track,
    zone: TimeZone,
    preselected: Option<Action>,
    recorded: Option<Recorded>,
) -> NudgePage {
    let text = state.catalog.nudge(track, &nudge.variant).unwrap_or_else(|| state.catalog.next_variant(track, None));
    NudgePage {
        subject: text.subject.clone(),
        paragraphs: text.paragraphs().collect(),
        track_title: track.title(),
        action_url: state.links.absolute(&format!("n/{token}")),
        actions: NudgePage::actions(preselected),
        recorded,
        preferences_url: state.links.preferences(nudge.subscriber_id, Utc::now()),
        offer_promise: track == Track::FollowThrough,
        today: Utc::now().with_timezone(&zone.tz()).date_naive().to_string(),
    }
}

fn next_sentence(track: Track, next: Option<DateTime<Utc>>, zone: TimeZone) -> String {
    match next {
        Some(at) => format!("Your next {} nudge comes on {}.", track.title().to_lowercase(), local_when(at, zone)),
        None => "This track is paused. You can turn it back on from your preferences.".into(),
    }
}

fn recorded_box(
    action: Action,
    answered_at: DateTime<Utc>,
    track: Track,
    next: Option<DateTime<Utc>>,
    zone: TimeZone,
    just_now: bool,
) -> Recorded {
    Recorded {
        label: action.label(),
        acknowledgement: action.acknowledgement(),
        answered: local_when(answered_at, zone),
        next: next_sentence(track, next, zone),
        just_now,
    }
}

fn answer_json(outcome: &AnswerOutcome) -> serde_json::Value {
    json!({
        "recorded": outcome.recorded_now,
        "action": outcome.action.key(),
        "answered_at": outcome.answered_at.to_rfc3339(),
        "track": outcome.track.key(),
        "next_due": outcome.next_due.map(|t| t.to_rfc3339()),
        "message": next_sentence(outcome.track, outcome.next_due, outcome.zone),
    })
}
