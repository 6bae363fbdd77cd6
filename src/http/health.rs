//! `GET /healthz` (the process answers), `GET /readyz` (the database answers
//! and is migrated) and `GET /metrics` (Prometheus text format: outbox and
//! subscriber gauges from the database, delivery counters from this process).

use std::fmt::Write;

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
    out.push_str("# HELP tend_deliveries Deliveries in the outbox by kind and status.\n# TYPE tend_deliveries gauge\n");
    for (kind, status, n) in store::deliveries::count_by_status(&state.pool).await? {
        let _ = writeln!(out, "tend_deliveries{{kind=\"{kind}\",status=\"{status}\"}} {n}");
    }
    out.push_str("# HELP tend_subscribers Subscribers by status.\n# TYPE tend_subscribers gauge\n");
    for (status, n) in store::subscribers::count_by_status(&state.pool).await? {
        let _ = writeln!(out, "tend_subscribers{{status=\"{status}\"}} {n}");
    }
    crate::metrics::render(&mut out);
    super::metrics::render(&state.pool, &mut out).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out))
}
