//! `GET|POST /me/{token}`: preferences, pause and resume, and progress.

use axum::extract::{Path, State};
use axum::response::Html;
use chrono::{DateTime, Duration, Utc};

use super::AppState;
use super::error::AppError;
use super::fields::Fields;
use super::pages::{
    MessagePage, PreferencesPage, PromiseRecord, TrackChoice, TrackProgress, local_when, render, zone_names,
};
use crate::domain::promise::{DueDate, Outcome, PromiseText};
use crate::domain::{DayAnswer, Locale, Purpose, TimeOfDay, TimeZone, Track, TrackSet};
use crate::mail::notes;
use crate::progress;
use crate::store::{self, subscribers::Preferences};
use crate::subscriptions::promises::{self, MakePromise, NewPromise, PromiseRules};
use crate::subscriptions::{self, ErasureRequester, PreferencesChange};

pub async fn page(State(state): State<AppState>, Path(token): Path<String>) -> Result<Html<String>, AppError> {
    let subscriber_id = verify(&state, &token)?;
    Ok(Html(render(&build_page(&state, &token, subscriber_id, None).await?)))
}

#[tracing::instrument(name = "preferences", skip_all)]
pub async fn submit(
    State(state): State<AppState>,
    Path(token): Path<String>,
    fields: Fields,
) -> Result<Html<String>, AppError> {
    let subscriber_id = verify(&state, &token)?;
    let notice: String = match fields.get("action").unwrap_or("save") {
        "save" => {
            let change = parse_change(&fields)?;
            if !subscriptions::update_preferences(&state.pool, subscriber_id, change, state.scheduling).await? {
                return Err(AppError::InvalidLink);
            }
            "Saved. Your next nudges follow the new settings.".into()
        }
        "pause" => {
            subscriptions::pause(&state.pool, subscriber_id).await?.ok_or(AppError::InvalidLink)?;
            "Paused. No nudges will come until you resume.".into()
        }
        "resume" => {
            subscriptions::resume(&state.pool, subscriber_id, state.scheduling).await?.ok_or(AppError::InvalidLink)?;
            "Welcome back. Your nudges start again at your next slot.".into()
        }
        "delete" => return delete(&state, subscriber_id, &fields).await,
        "promise" => add_promise(&state, subscriber_id, &fields).await?,
        action @ ("weekly_on" | "weekly_off") => {
            let on = action == "weekly_on";
            if !subscriptions::set_weekly_summary(&state.pool, subscriber_id, on, state.scheduling).await? {
                return Err(AppError::InvalidLink);
            }
            if on { "The weekly summary is on: the first comes on Sunday." } else { "The weekly summary is off." }
                .into()
        }
        _ => {
            return Err(AppError::bad_input(
                "action",
                "unknown action: use save, pause, resume, delete, promise, weekly_on or weekly_off",
            ));
        }
    };
    Ok(Html(render(&build_page(&state, &token, subscriber_id, Some(notice)).await?)))
}

/// Writes a promise down; returns the notice to show.
async fn add_promise(state: &AppState, subscriber_id: i64, fields: &Fields) -> Result<String, AppError> {
    let text =
        PromiseText::parse(fields.get("promise").unwrap_or_default()).map_err(|e| AppError::bad_input("promise", e))?;
    let time =
        TimeOfDay::parse(fields.get("due_time").unwrap_or("18:00")).map_err(|e| AppError::bad_input("due_time", e))?;
    // The subscriber's own zone unless the form names another.
    let zone = fields
        .get("timezone")
        .filter(|z| !z.trim().is_empty())
        .map(TimeZone::parse)
        .transpose()
        .map_err(|e| AppError::bad_input("timezone", e))?;
    let due_date =
        DueDate::parse(fields.get("due_date").unwrap_or_default()).map_err(|e| AppError::bad_input("due_date", e))?;
    let promise = NewPromise { text, due_date, due_time: time, zone };
    let rules =
        PromiseRules { check_before: state.settings.promises.check_before.as_chrono(), scheduling: state.scheduling };
    let made = match promises::make_promise(&state.pool, &state.sealer, subscriber_id, &promise, rules).await? {
        MakePromise::Made(made) => made,
        MakePromise::Refused(err) => return Err(AppError::bad_input("due_date", err)),
        MakePromise::NoSubscriber => return Err(AppError::InvalidLink),
    };
    let subscriber = store::subscribers::get(&state.pool, subscriber_id).await?.ok_or(AppError::InvalidLink)?;
    let ask = made.check_at.map_or_else(String::new, |at| {
        format!(" tend will ask whether it is still realistic on {}.", local_when(at, subscriber.zone))
    });
    Ok(format!("Promise noted, due {}.{ask}", local_when(made.due_at, subscriber.zone)))
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
    let now = Utc::now();
    let today = now.with_timezone(&subscriber.zone.tz()).date_naive();
    let answers: Vec<DayAnswer> =
        store::answers::since(&state.pool, subscriber_id, now - Duration::weeks(progress::WEEKS))
            .await?
            .into_iter()
            .map(|(track, action, at)| DayAnswer {
                date: at.with_timezone(&subscriber.zone.tz()).date_naive(),
                track,
                action,
            })
            .collect();
    let enabled = |t: Track| tracks.iter().any(|s| s.track == t && s.enabled);
    let progress = tracks
        .iter()
        .map(|state| TrackProgress {
            title: state.track.title(),
            enabled: state.enabled,
            next: state.next_due_at.map_or_else(|| "not scheduled".into(), |at| next_words(at, now, subscriber.zone)),
            heatmap: progress::heatmap(&answers, state.track, today),
            summary: progress::summary_text(state.track, progress::tally(&answers, state.track, today)),
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
        promises: promise_record(state, subscriber_id, now, subscriber.zone).await?,
        today: today.to_string(),
        weekly_summary: store::subscribers::weekly_summary(&state.pool, subscriber_id).await?.is_some(),
        unsubscribe_url: state.links.unsubscribe(subscriber_id, now),
        safety_note: notes::safety(state.catalog.notes(&Locale::en()), &state.lines),
        notice,
    })
}

/// "Tuesday 3 March at 08:30 (in 6 days)".
fn next_words(at: DateTime<Utc>, now: DateTime<Utc>, zone: TimeZone) -> String {
    let days = (at.with_timezone(&zone.tz()).date_naive() - now.with_timezone(&zone.tz()).date_naive()).num_days();
    let when = match days {
        ..=0 => "today".to_owned(),
        1 => "tomorrow".to_owned(),
        n => format!("in {n} days"),
    };
    format!("{} ({when})", local_when(at, zone))
}

async fn promise_record(
    state: &AppState,
    subscriber_id: i64,
    now: DateTime<Utc>,
    zone: TimeZone,
) -> Result<PromiseRecord, AppError> {
    let all = store::promises::list(&state.pool, subscriber_id).await?;
    let count = |o: Outcome| all.iter().filter(|p| p.outcome == Some(o)).count();
    let mut upcoming = Vec::new();
    for p in all.iter().filter(|p| p.due_at > now) {
        upcoming.push((state.sealer.open(&p.sealed)?, local_when(p.due_at, zone)));
    }
    Ok(PromiseRecord {
        kept: count(Outcome::Kept),
        kept_late: count(Outcome::KeptLate),
        renegotiated: count(Outcome::Renegotiated),
        not_kept: count(Outcome::NotKept),
        upcoming,
    })
}
