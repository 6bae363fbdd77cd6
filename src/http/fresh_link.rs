//! `GET|POST /link`: "mail me a fresh link", for someone whose link was
//! switched off (the 410 page shows the same form) or lost. The form takes
//! an address; whatever the address (unknown, unconfirmed, over its daily
//! limit or not) the answer is the same page, no sooner than the subscribe
//! form answers, so it cannot tell who subscribes. At most
//! `subscriptions::FRESH_LINKS_PER_DAY` mails per address per day, and
//! `http.link_requests_per_client_per_minute` requests per client.

use std::sync::Arc;
use std::time::{Duration, Instant};

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::json;

use super::error::{AppError, wants_json};
use super::fields::Fields;
use super::pages::render;
use super::rate_limit::RateLimiter;
use super::{AppState, ClientIp};
use crate::domain::SubscriberEmail;
use crate::subscriptions;

/// Every accepted request takes at least this long to answer.
const ANSWER_NO_SOONER_THAN: Duration = Duration::from_millis(120);

const ON_ITS_WAY: &str =
    "If this address has a subscription, a fresh link is on its way to it. It works for one day. Nothing else changed.";

#[derive(Template)]
#[template(path = "fresh_link.html")]
struct FreshLinkPage<'a> {
    title: &'a str,
    message: &'a str,
    form: bool,
}

pub async fn page() -> Html<String> {
    let message = "Enter the address your mails come to, and a link to your preferences will be mailed to it.";
    Html(render(&FreshLinkPage { title: "Mail me a fresh link", message, form: true }))
}

#[tracing::instrument(name = "fresh link", skip_all)]
pub async fn submit(
    State(state): State<AppState>,
    Extension(limiter): Extension<Arc<RateLimiter>>,
    Extension(ClientIp(client)): Extension<ClientIp>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let started = Instant::now();
    limiter.check(client, started).map_err(|retry_after| AppError::TooManyRequests { retry_after })?;
    let fields = Fields::parse(&headers, &body)?;
    let email =
        SubscriberEmail::parse(fields.get("email").unwrap_or_default()).map_err(|e| AppError::bad_input("email", e))?;
    let outcome = subscriptions::request_fresh_link_for(&state.pool, &email).await?;
    tracing::info!(?outcome, "fresh link asked for by address");
    tokio::time::sleep_until((started + ANSWER_NO_SOONER_THAN).into()).await;
    Ok(if wants_json(&headers) {
        (StatusCode::ACCEPTED, Json(json!({ "status": "check_your_inbox", "message": ON_ITS_WAY }))).into_response()
    } else {
        Html(render(&FreshLinkPage { title: "Check your inbox", message: ON_ITS_WAY, form: false })).into_response()
    })
}
