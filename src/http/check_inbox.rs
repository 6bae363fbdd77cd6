//! What the two forms that take an address (subscribe, "mail me a fresh
//! link") share: each request counts against its client's limit, and the
//! answer is the same whatever the address, given no sooner than
//! [`ANSWER_NO_SOONER_THAN`], so neither form tells who subscribes.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

use super::error::{AppError, wants_json};
use super::pages::{MessagePage, render};
use super::rate_limit::RateLimiter;
use crate::i18n::Tr;

/// Every accepted request takes at least this long to answer: new, pending,
/// active and unknown addresses take different paths through the database.
pub const ANSWER_NO_SOONER_THAN: Duration = Duration::from_millis(120);

/// Counts the request against its client's limit; the clock starts here.
pub fn admit(limiter: &RateLimiter, client: IpAddr) -> Result<Instant, AppError> {
    let started = Instant::now();
    limiter.check(client, started).map_err(|retry_after| AppError::TooManyRequests { retry_after })?;
    Ok(started)
}

/// "Check your inbox" (the message `message` of `t`), as a page or as
/// JSON (202), once the floor is reached.
pub async fn check_your_inbox(started: Instant, headers: &HeaderMap, t: Tr, message: &str) -> Response {
    tokio::time::sleep_until((started + ANSWER_NO_SOONER_THAN).into()).await;
    if wants_json(headers) {
        let message = t.get(message);
        (StatusCode::ACCEPTED, Json(json!({ "status": "check_your_inbox", "message": message }))).into_response()
    } else {
        Html(render(&MessagePage::of(t, "check-inbox-title", &[message]))).into_response()
    }
}
