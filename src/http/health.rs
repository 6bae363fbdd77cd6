//! `GET /healthz` (the process answers) and `GET /readyz` (the database
//! answers and is migrated). Metrics are not here: they have a listener of
//! their own (`http::metrics`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;

use super::AppState;
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
