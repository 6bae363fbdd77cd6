//! `GET|POST /n/{token}`: a nudge and its answer buttons.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::error::{AppError, wants_json};
use super::fields::Fields;
use super::pages::{NudgePage, Recorded, local_when, render};
use crate::domain::{Action, Locale, TimeZone, Track};
use crate::mail::Nudge;
use crate::subscriptions::AnswerOutcome;

#[derive(Deserialize)]
pub struct Preselect {
    a: Option<String>,
}

/// Shows the nudge. `?a=done` (the links in the mail) only highlights a
/// button: a link previewer fetching it records nothing. The link carries
/// what the page shows ([`crate::domain::nudge_link`]), so this reads no
/// database; links minted before that, or naming a variant the catalog no
/// longer has, read the nudge (batched with other pages).
pub async fn page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(preselect): Query<Preselect>,
) -> Result<Html<String>, AppError> {
    let claims = state.links.signer().verify_nudge(&token, Utc::now())?;
    let preselected = preselect.a.as_deref().and_then(|a| Action::parse(a).ok());
    let from_link = claims.page.and_then(|facts| {
        let text = state.catalog.nudge_by_fingerprint(facts.track, facts.variant)?;
        Some(Shown { subscriber_id: facts.subscriber_id, track: facts.track, text, today: earliest_today() })
    });
    if let Some(shown) = from_link {
        return Ok(Html(render(&nudge_page(&state, &token, shown, preselected, None))));
    }
    let ctx = state.answers.read(claims.delivery_id).await?.ok_or(AppError::InvalidLink)?;
    let next_due = ctx.next_due();
    let recorded = ctx.answer.map(|(action, at)| recorded_box(action, at, ctx.track, next_due, ctx.zone, false));
    let shown = Shown::read(&state, ctx.subscriber_id, ctx.track, &ctx.variant, ctx.zone);
    Ok(Html(render(&nudge_page(&state, &token, shown, preselected, recorded))))
}

#[tracing::instrument(name = "answer", skip_all)]
pub async fn submit(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    fields: Fields,
) -> Result<Response, AppError> {
    let delivery_id = state.links.signer().verify_nudge(&token, Utc::now())?.delivery_id;
    let action =
        Action::parse(fields.get("action").unwrap_or_default()).map_err(|e| AppError::bad_input("action", e))?;
    let Some(outcome) = state.answers.answer(delivery_id, action).await? else {
        return Err(AppError::InvalidLink);
    };
    if wants_json(&headers) {
        return Ok(Json(answer_json(&outcome)).into_response());
    }
    let recorded = recorded_box(
        outcome.action,
        outcome.answered_at,
        outcome.track,
        outcome.next_due,
        outcome.zone,
        outcome.recorded_now,
    );
    let shown = Shown::read(&state, outcome.subscriber_id, outcome.track, &outcome.variant, outcome.zone);
    Ok(Html(render(&nudge_page(&state, &token, shown, None, Some(recorded)))).into_response())
}

/// What the page shows of the nudge.
struct Shown<'a> {
    subscriber_id: i64,
    track: Track,
    text: &'a Nudge,
    /// The earliest date the promise form offers.
    today: String,
}

impl<'a> Shown<'a> {
    /// From what the database said about the nudge.
    fn read(state: &'a AppState, subscriber_id: i64, track: Track, variant: &str, zone: TimeZone) -> Self {
        let en = Locale::en();
        let text = state
            .catalog
            .nudge_named(&en, track, variant)
            .unwrap_or_else(|| state.catalog.next_variant(&en, track, None));
        let today = Utc::now().with_timezone(&zone.tz()).date_naive().to_string();
        Shown { subscriber_id, track, text, today }
    }
}

/// Without the subscriber's zone: the date that is today in the zone
/// furthest behind UTC (UTC-12), so no subscriber's today is refused.
/// Saving a promise checks the date in their own zone.
fn earliest_today() -> String {
    (Utc::now() - Duration::hours(12)).date_naive().to_string()
}

fn nudge_page(
    state: &AppState,
    token: &str,
    shown: Shown<'_>,
    preselected: Option<Action>,
    recorded: Option<Recorded>,
) -> NudgePage {
    let Shown { subscriber_id, track, text, today } = shown;
    NudgePage {
        subject: text.subject.clone(),
        paragraphs: text.paragraphs().collect(),
        track_title: track.title(),
        action_url: state.links.absolute(&format!("n/{token}")),
        actions: NudgePage::actions(preselected),
        recorded,
        preferences_url: state.links.preferences(subscriber_id, Utc::now()),
        offer_promise: track == Track::FollowThrough,
        today,
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
