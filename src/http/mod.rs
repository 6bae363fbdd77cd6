//! The web front: subscribe page, the pages behind every emailed link, health
//! and metrics. Handlers parse input into domain types, hand the state change
//! to `subscriptions` (answers to its batcher), read what the page shows from
//! `store`, and render a page (or JSON). `GET` and `HEAD` never change state:
//! mail scanners fetch every link, only a button (`POST`) acts.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use std::net::{IpAddr, SocketAddr};

use axum::Extension;
use axum::extract::State;
use axum::extract::{ConnectInfo, DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use sqlx::PgPool;

use crate::config::Settings;
use crate::domain::Scheduling;
use crate::links::Links;
use crate::mail::Catalog;
use crate::mail::notes::OperatorLines;
use crate::metrics::Metrics;
use crate::sealing::Sealer;
use crate::subscriptions::Answers;

mod check_inbox;
mod confirm;
pub mod error;
mod fields;
mod fresh_link;
mod health;
mod invitation;
mod nudge;
mod opened;
mod outbox;
mod page_actions;
mod pages;
mod preferences;
mod promise;
mod rate_limit;
mod resume;
mod subscribe;
mod unsubscribe;

pub use error::AppError;
use rate_limit::RateLimiter;

/// What every handler can reach: cloned per request by the extractors, so
/// it is one `Arc` (cloning the link keys and channels each time showed up
/// in the answer page's profile).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    pub pool: PgPool,
    pub links: Links,
    pub catalog: Arc<Catalog>,
    /// The operator's resources and safety lines, for the pages that show them.
    pub lines: OperatorLines,
    /// Opens and seals promise texts.
    pub sealer: Sealer,
    pub scheduling: Scheduling,
    /// Where answers go to be written in batches.
    pub answers: Answers,
    /// Requests are counted here; `/metrics` renders it.
    pub metrics: Arc<Metrics>,
    pub settings: Arc<Settings>,
}

pub fn router(state: AppState) -> Router {
    // Only the two forms that take an address need the client's (their rate limits).
    let client_ip_header = Arc::new(state.settings.http.client_ip_header.to_ascii_lowercase());
    let limited = |per_minute: u32| {
        let header = client_ip_header.clone();
        (
            Extension(Arc::new(RateLimiter::per_minute(per_minute))),
            middleware::from_fn(move |request, next| identify_client(header.clone(), request, next)),
        )
    };
    let (limiter, identify) = limited(state.settings.http.subscribe_per_client_per_minute);
    let subscribe_submit = post(subscribe::submit).layer(limiter).layer(identify);
    let (limiter, identify) = limited(state.settings.http.link_requests_per_client_per_minute);
    let fresh_link_submit = post(fresh_link::submit).layer(limiter).layer(identify);
    let mut app = Router::new()
        .route("/", get(subscribe::page))
        .route("/subscribe", subscribe_submit)
        .route("/link", get(fresh_link::page).merge(fresh_link_submit))
        .route("/confirm/{token}", get(confirm::page).post(confirm::submit))
        .route("/n/{token}", get(nudge::page).post(nudge::submit))
        .route("/unsubscribe/{token}", get(unsubscribe::page).post(unsubscribe::submit))
        .route("/me/{token}", get(preferences::page).post(preferences::submit))
        .route("/invited/{token}", get(invitation::page))
        .route("/resume/{token}", get(resume::page).post(resume::submit))
        .route("/p/{token}", get(promise::page).post(promise::submit))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics));
    if state.settings.is_local() {
        app = app.route("/outbox", get(outbox::page));
    }
    app.fallback(|| async { AppError::NotFound })
        .layer(DefaultBodyLimit::max(state.settings.http.max_body_bytes))
        .layer(middleware::from_fn(error::render_problems))
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn_with_state(state.metrics.clone(), trace_requests))
        .with_state(state)
}

/// The client's address, as `rate_limit::client_ip` decided it.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

async fn identify_client(trusted_header: Arc<String>, mut request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(SocketAddr::from(([0, 0, 0, 0], 0)), |info| info.0);
    let ip = rate_limit::client_ip(request.headers(), peer, &trusted_header);
    request.extensions_mut().insert(ClientIp(ip));
    next.run(request).await
}

/// One span per request, named by route, never by URI: URIs carry tokens.
/// Each request gets an id, in the span and in the `x-request-id` header,
/// so a person's report can be matched to the log. The closing line is at
/// `debug` for quick successes (metrics count those; a line per click is
/// the costliest part of a page at thousands a second), `info` for client
/// errors and `warn` for server errors and anything slower than a second.
async fn trace_requests(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().cloned();
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    let request_id = format!("{:016x}", rand::random::<u64>());
    let span = tracing::info_span!("request", id = %request_id, method = %request.method(), route = %route);
    let started = Instant::now();
    let mut response = tracing::Instrument::instrument(next.run(request), span.clone()).await;
    let status = response.status();
    let elapsed_ms = started.elapsed().as_millis() as u64;
    span.in_scope(|| {
        let code = status.as_u16();
        if status.is_server_error() || elapsed_ms >= SLOW_REQUEST_MS {
            tracing::warn!(status = code, elapsed_ms, "request done");
        } else if status.is_client_error() {
            tracing::info!(status = code, elapsed_ms, "request done");
        } else {
            tracing::debug!(status = code, elapsed_ms, "request done");
        }
    });
    metrics.count_request(route, status.as_u16());
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

/// Requests slower than this are logged at `warn` whatever their status.
const SLOW_REQUEST_MS: u64 = 1000;

/// Tokens live in URLs: never leak them through `Referer`, never cache the
/// pages that show them, and allow no third-party content.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let set = |headers: &mut axum::http::HeaderMap, name, value: &'static str| {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    };
    set(headers, header::REFERRER_POLICY, "no-referrer");
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(headers, header::CACHE_CONTROL, "no-store");
    set(
        headers,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    response
}
