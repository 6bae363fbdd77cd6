//! `GET /healthz` (the process answers), `GET /readyz` (the database answers
//! and is migrated) and `GET /metrics` (Prometheus text format: this
//! application's counters, then gauges from the database; see `metrics`).

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

use super::AppState;
use super::error::AppError;
use crate::store;

pub async fn healthz() -> &'static str {
    "ok\n"
}

pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if store::is_ready(&state.pool).await {
        (StatusCode::OK, "ready\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready: the database is unreachable or not migrated\n")
    }
}

pub async fn metrics(State(state): State<AppState>) -> Result<impl IntoResponse, AppError> {
    let mut out = String::new();
    state.metrics.render(&mut out);
    crate::metrics::render_gauges(&state.pool, &mut out).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out))
}
