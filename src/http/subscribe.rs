//! `GET /` and `POST /subscribe`. The form opened from an invitation
//! (`invitation.rs`) posts here too, with its token in `invitation`.

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{Html, Response};

use super::check_inbox::{admit, check_your_inbox};
use super::error::{AppError, browser_locale};
use super::fields::Fields;
use super::pages::{SubscribePage, TrackChoice, language_choices, render, zone_names};
use super::rate_limit::RateLimiter;
use super::{AppState, ClientIp};
use crate::domain::{Locale, SubscriberEmail, TimeOfDay, TimeZone, Track, TrackSet, parse_on_off};
use crate::i18n;
use crate::store::subscribers::Preferences;
use crate::subscriptions::{self, SubscribeRequest};

/// In the browser's language, which the language picker preselects.
pub async fn page(headers: HeaderMap) -> Html<String> {
    let locale = browser_locale(&headers);
    let t = i18n::tr(&locale);
    Html(render(&SubscribePage {
        t,
        languages: language_choices(&locale),
        zones: zone_names(),
        tracks: TrackChoice::list(t, Track::on_by_default),
        time: TimeOfDay::DEFAULT.to_string(),
        invitation: None,
        safety_note: None,
    }))
}

/// Answers the same for new, pending, active and unsubscribed addresses, so
/// the form cannot be used to find out who subscribes.
#[tracing::instrument(name = "subscribe", skip_all)]
pub async fn submit(
    State(state): State<AppState>,
    Extension(limiter): Extension<Arc<RateLimiter>>,
    Extension(ClientIp(client)): Extension<ClientIp>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let started = admit(&limiter, client)?;
    let fields = Fields::parse(&headers, &body)?;
    // A field people never see: only bots fill it in. They get the usual answer.
    let is_bot = fields.get("website").is_some_and(|v| !v.trim().is_empty());
    let locale = parse_locale(&fields, &headers)?;
    if !is_bot {
        let mut request = parse_request(&fields, locale.clone(), state.settings.schedule.max_per_day)?;
        request.invitation = invited_through(&state, &fields).await?;
        let outcome = subscriptions::subscribe(&state.pool, request, state.scheduling).await?;
        tracing::info!(?outcome, "subscribe request handled");
    }
    Ok(check_your_inbox(started, &headers, i18n::tr(&locale), "check-inbox-subscribe").await)
}

/// The form's or JSON's `locale`; without one, the browser's language.
fn parse_locale(fields: &Fields, headers: &HeaderMap) -> Result<Locale, AppError> {
    match fields.get("locale") {
        None => Ok(browser_locale(headers)),
        Some(tag) => Locale::parse_supported(tag).map_err(|e| AppError::bad_input("locale", e)),
    }
}

fn parse_request(fields: &Fields, locale: Locale, max_per_day: u32) -> Result<SubscribeRequest, AppError> {
    let email =
        SubscriberEmail::parse(fields.get("email").unwrap_or_default()).map_err(|e| AppError::bad_input("email", e))?;
    let zone = match fields.get("timezone") {
        None => TimeZone::UTC,
        Some(name) => TimeZone::parse(name).map_err(|e| AppError::bad_input("timezone", e))?,
    };
    let time = match fields.get("time") {
        None => TimeOfDay::DEFAULT,
        Some(text) => TimeOfDay::parse(text).map_err(|e| AppError::bad_input("time", e))?,
    };
    let tracks = if fields.has("tracks") {
        TrackSet::parse(fields.all("tracks")).map_err(|e| AppError::bad_input("tracks", e))?
    } else {
        Track::defaults()
    };
    // A checkbox sends `on` or nothing; JSON sends a boolean or "on"/"off".
    let discreet = match fields.get("discreet") {
        None => false,
        Some(value) => parse_on_off(value).map_err(|e| AppError::bad_input("discreet", e))?,
    };
    let preferences = Preferences { zone, time, max_per_day, discreet, locale };
    Ok(SubscribeRequest { email, preferences, tracks, preconfirmed: false, invitation: None })
}

/// The invitation the form came from. A link that expired or was switched
/// off since the page opened subscribes without linking anyone: the page
/// answers the same either way.
async fn invited_through(state: &AppState, fields: &Fields) -> Result<Option<i64>, AppError> {
    let Some(token) = fields.get("invitation").filter(|t| !t.is_empty()) else { return Ok(None) };
    match super::invitation::verify(state, token).await {
        Ok(id) => Ok(Some(id)),
        Err(AppError::InvalidLink | AppError::RevokedLink) => Ok(None),
        Err(other) => Err(other),
    }
}
