//! `GET /metrics` (Prometheus text), served on a listener of its own
//! (`metrics.bind`), never on the public one. The counters and the gauges
//! the last refresh read are all in memory, so a scrape runs no query.
//! With `metrics.token` set, a scrape must carry `Authorization: Bearer
//! <token>`; anything else gets 401. The comparison is of SHA-256 digests
//! in constant time, so neither the token's bytes nor its length leak
//! through timing.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::metrics::Metrics;

#[derive(Clone)]
struct Scrape {
    metrics: Arc<Metrics>,
    /// SHA-256 of the token; `None`: no token needed.
    token: Option<[u8; 32]>,
}

pub fn router(metrics: Arc<Metrics>, token: &SecretString) -> Router {
    let token = Some(token.expose_secret()).filter(|t| !t.is_empty()).map(|t| Sha256::digest(t.as_bytes()).into());
    Router::new().route("/metrics", get(scrape)).with_state(Scrape { metrics, token })
}

async fn scrape(State(scrape): State<Scrape>, headers: HeaderMap) -> Response {
    if let Some(expected) = &scrape.token
        && !presents(&headers, expected)
    {
        return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer")], "a bearer token is required\n")
            .into_response();
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], scrape.metrics.render_all()).into_response()
}

fn presents(headers: &HeaderMap, expected: &[u8; 32]) -> bool {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let digest: [u8; 32] = Sha256::digest(presented.trim().as_bytes()).into();
    bool::from(digest.ct_eq(expected))
}
