//! `GET|POST /n/{token}`: a nudge and its answer buttons.
//!
//! An answer link lives 14 days and may do one thing: answer its nudge. Its
//! page shows the nudge and its buttons, and mints no link: for the
//! preferences it offers to *mail* a fresh link (`action=send_link`), and a
//! follow-through nudge's promise form posts back here (`action=promise`),
//! writing a promise without showing any. Every request checks the link's
//! generation: an answer in the answer batch's read (`Answers::answer`,
//! the one read a POST makes), a page from the batched read
//! `Answers::generation` makes (one indexed lookup per batch of pages), or
//! for links without page facts from the nudge's row, which their page
//! reads anyway.

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
use super::page_actions::{note_promise, send_fresh_link};
use super::pages::{NudgePage, Recorded, render};
use crate::domain::{Action, Claims, Locale, TimeZone, Track};
use crate::i18n::{self, Tr};
use crate::mail::Nudge;
use crate::store::answering::AnswerContext;
use crate::subscriptions::{AnswerOutcome, Refused};

#[derive(Deserialize)]
pub struct Preselect {
    a: Option<String>,
}

/// Shows the nudge. `?a=done` (the links in the mail) only highlights a
/// button: a link previewer fetching it records nothing. The link carries
/// what the page shows ([`crate::domain::nudge_link`]), so this reads only
/// the link's generation; links minted before that, or naming a variant the
/// catalog no longer has, read the nudge (batched with other pages).
pub async fn page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(preselect): Query<Preselect>,
) -> Result<Html<String>, AppError> {
    let opened = open(&state, &token).await?;
    let preselected = preselect.a.as_deref().and_then(|a| Action::parse(a).ok());
    let from_link = opened.claims.page.and_then(|facts| {
        let text = state.catalog.nudge_by_fingerprint(facts.track, facts.variant)?;
        Some(Shown { track: facts.track, text, today: earliest_today() })
    });
    if let Some(shown) = from_link {
        return Ok(Html(render(&nudge_page(&state, &token, shown, preselected, None, None))));
    }
    let ctx = match opened.row {
        Some(ctx) => ctx,
        None => state.answers.read(opened.claims.subject).await?.ok_or(AppError::InvalidLink)?,
    };
    let next_due = ctx.next_due();
    let shown = Shown::read(&state, ctx.track, &ctx.variant, ctx.zone);
    let t = shown.words();
    let recorded = ctx.answer.map(|(action, at)| recorded_box(t, action, at, ctx.track, next_due, ctx.zone, false));
    Ok(Html(render(&nudge_page(&state, &token, shown, preselected, recorded, None))))
}

#[tracing::instrument(name = "answer", skip_all)]
pub async fn submit(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    fields: Fields,
) -> Result<Response, AppError> {
    let action = fields.get("action").unwrap_or_default();
    if matches!(action, "send_link" | "promise") {
        let opened = open(&state, &token).await?;
        return Ok(Html(render(&side_action(&state, &token, &opened, action, &fields).await?)).into_response());
    }
    let claims = state.links.signer().verify_nudge(&token, Utc::now())?;
    let action = Action::parse(action).map_err(|e| AppError::bad_input("action", e))?;
    // The generation is checked in the answer batch's own read.
    let outcome = match state.answers.answer(claims.subject, action, claims.required_generation()).await? {
        Ok(outcome) => outcome,
        Err(Refused::Gone) => return Err(AppError::InvalidLink),
        Err(Refused::Revoked) => return Err(AppError::RevokedLink),
    };
    let shown = Shown::read(&state, outcome.track, &outcome.variant, outcome.zone);
    let t = shown.words();
    if wants_json(&headers) {
        return Ok(Json(answer_json(t, &outcome)).into_response());
    }
    let recorded = recorded_box(
        t,
        outcome.action,
        outcome.answered_at,
        outcome.track,
        outcome.next_due,
        outcome.zone,
        outcome.recorded_now,
    );
    Ok(Html(render(&nudge_page(&state, &token, shown, None, Some(recorded), None))).into_response())
}

/// A verified answer link of the subscriber's current generation.
struct Opened {
    claims: Claims,
    subscriber_id: i64,
    /// The nudge's row, when checking the generation needed it.
    row: Option<AnswerContext>,
}

/// Verifies the link and its generation: links with page facts name their
/// subscriber, whose generation comes from one batched read; older links
/// read their nudge's row.
async fn open(state: &AppState, token: &str) -> Result<Opened, AppError> {
    let claims = state.links.signer().verify_nudge(token, Utc::now())?;
    if let Some(facts) = claims.page {
        let current = state.answers.generation(facts.subscriber_id).await?.ok_or(AppError::InvalidLink)?;
        let claims = claims.current(current)?;
        return Ok(Opened { claims, subscriber_id: facts.subscriber_id, row: None });
    }
    let row = state.answers.read(claims.subject).await?.ok_or(AppError::InvalidLink)?;
    let claims = claims.current(row.link_generation)?;
    Ok(Opened { claims, subscriber_id: row.subscriber_id, row: Some(row) })
}

/// Mailing a fresh preferences link, or writing a promise down: the page
/// again, with what happened.
async fn side_action(
    state: &AppState,
    token: &str,
    opened: &Opened,
    action: &str,
    fields: &Fields,
) -> Result<NudgePage, AppError> {
    let ctx = match &opened.row {
        Some(ctx) => ctx.clone(),
        None => state.answers.read(opened.claims.subject).await?.ok_or(AppError::InvalidLink)?,
    };
    let shown = Shown::read(state, ctx.track, &ctx.variant, ctx.zone);
    let notice = match action {
        "promise" => note_promise(state, opened.subscriber_id, fields).await?,
        _ => shown.words().get(send_fresh_link(state, opened.subscriber_id).await?),
    };
    Ok(nudge_page(state, token, shown, None, None, Some(notice)))
}

/// What the page shows of the nudge.
struct Shown<'a> {
    track: Track,
    text: &'a Nudge,
    /// The earliest date the promise form offers.
    today: String,
}

impl<'a> Shown<'a> {
    /// From what the database said about the nudge.
    fn read(state: &'a AppState, track: Track, variant: &str, zone: TimeZone) -> Self {
        let en = Locale::en();
        let text = state
            .catalog
            .nudge_named(&en, track, variant)
            .unwrap_or_else(|| state.catalog.next_variant(&en, track, None));
        let today = Utc::now().with_timezone(&zone.tz()).date_naive().to_string();
        Shown { track, text, today }
    }

    /// The page speaks the nudge's language.
    fn words(&self) -> Tr {
        i18n::tr(&self.text.locale)
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
    notice: Option<String>,
) -> NudgePage {
    let t = shown.words();
    let Shown { track, text, today } = shown;
    NudgePage {
        t,
        subject: text.subject.clone(),
        paragraphs: text.paragraphs().collect(),
        track_title: t.track(track),
        action_url: state.links.absolute(&format!("n/{token}")),
        actions: NudgePage::actions(t, preselected),
        recorded,
        notice,
        offer_promise: track == Track::FollowThrough,
        today,
    }
}

fn next_sentence(t: Tr, track: Track, next: Option<DateTime<Utc>>, zone: TimeZone) -> String {
    match next {
        Some(at) => t.with(
            "next-track-nudge",
            &[("track", t.track_in_sentence(track).into()), ("when", t.when(at, zone).into())],
        ),
        None => t.get("track-paused"),
    }
}

fn recorded_box(
    t: Tr,
    action: Action,
    answered_at: DateTime<Utc>,
    track: Track,
    next: Option<DateTime<Utc>>,
    zone: TimeZone,
    just_now: bool,
) -> Recorded {
    let already = [("label", t.action(action).into()), ("when", t.when(answered_at, zone).into())];
    Recorded {
        acknowledgement: t.acknowledgement(action),
        already: t.with("answered-already", &already),
        next: next_sentence(t, track, next, zone),
        just_now,
    }
}

fn answer_json(t: Tr, outcome: &AnswerOutcome) -> serde_json::Value {
    json!({
        "recorded": outcome.recorded_now,
        "action": outcome.action.key(),
        "answered_at": outcome.answered_at.to_rfc3339(),
        "track": outcome.track.key(),
        "next_due": outcome.next_due.map(|t| t.to_rfc3339()),
        "message": next_sentence(t, outcome.track, outcome.next_due, outcome.zone),
    })
}
