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
use super::error::AppError;
use super::fields::Fields;
use super::pages::{MessagePage, render};
use super::rate_limit::RateLimiter;
use super::{AppState, ClientIp};
use crate::domain::SubscriberEmail;
use crate::subscriptions;

const ON_ITS_WAY: &str =
    "If this address has a subscription, a fresh link is on its way to it. It works for one day. Nothing else changed.";

pub async fn page() -> Html<String> {
    let message = "Enter the address your mails come to, and a link to your preferences will be mailed to it.";
    Html(render(&MessagePage::new("Mail me a fresh link", vec![message.into()]).with_fresh_link_form()))
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
    Ok(check_your_inbox(started, &headers, ON_ITS_WAY).await)
}
