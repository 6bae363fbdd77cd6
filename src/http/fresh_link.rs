//! `GET|POST /link`: "mail me a fresh link", for someone whose link was
//! switched off (the 410 page shows the same form) or lost. The form takes
//! an address; whatever the address (unknown, unconfirmed, over its daily
//! limit or not) the answer is the same ([`super::check_inbox`]), so it
//! cannot tell who subscribes. At most `subscriptions::FRESH_LINKS_PER_DAY`
//! mails per address per day, and `http.link_requests_per_client_per_minute`
//! requests per client.

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{Html, Response};

use super::check_inbox::{admit, check_your_inbox};
use super::error::{AppError, browser_locale};
use super::fields::Fields;
use super::pages::{MessagePage, render};
use super::rate_limit::RateLimiter;
use super::{AppState, ClientIp};
use crate::domain::SubscriberEmail;
use crate::i18n;
use crate::subscriptions;

/// In the browser's language: the page knows nobody yet.
pub async fn page(headers: HeaderMap) -> Html<String> {
    let t = i18n::tr(&browser_locale(&headers));
    Html(render(&MessagePage::of(t, "fresh-link-title", &["fresh-link-intro"]).with_fresh_link_form()))
}

#[tracing::instrument(name = "fresh link", skip_all)]
pub async fn submit(
    State(state): State<AppState>,
    Extension(limiter): Extension<Arc<RateLimiter>>,
    Extension(ClientIp(client)): Extension<ClientIp>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let started = admit(&limiter, client)?;
    let fields = Fields::parse(&headers, &body)?;
    let email =
        SubscriberEmail::parse(fields.get("email").unwrap_or_default()).map_err(|e| AppError::bad_input("email", e))?;
    let outcome = subscriptions::request_fresh_link_for(&state.pool, &email).await?;
    tracing::info!(?outcome, "fresh link asked for by address");
    let t = i18n::tr(&browser_locale(&headers));
    Ok(check_your_inbox(started, &headers, t, "check-inbox-fresh-link").await)
}
