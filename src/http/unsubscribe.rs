//! `GET|POST /unsubscribe/{token}`: RFC 8058 one-click unsubscribe.
//!
//! The `POST` (from a mail client's one-click button, with the body
//! `List-Unsubscribe=One-Click`, or from our own page) unsubscribes at once:
//! no cookie, no redirect, no confirmation step. The `GET` only shows a button.

use axum::extract::{Path, State};
use axum::response::Html;
use chrono::Utc;

use super::AppState;
use super::error::AppError;
use super::pages::{ButtonPage, MessagePage, render};
use crate::domain::Purpose;
use crate::subscriptions;

const PAGE: ButtonPage = ButtonPage {
    purpose: Purpose::Unsubscribe,
    path: "unsubscribe",
    title: "Unsubscribe from tend?",
    paragraph: "One click and no more nudges will come. We're glad you tried.",
    label: "Unsubscribe",
};

pub async fn page(State(state): State<AppState>, Path(token): Path<String>) -> Result<Html<String>, AppError> {
    PAGE.show(&state.links, &token)
}

#[tracing::instrument(name = "unsubscribe", skip_all)]
pub async fn submit(State(state): State<AppState>, Path(token): Path<String>) -> Result<Html<String>, AppError> {
    let claims = state.links.signer().verify(&token, Purpose::Unsubscribe, Utc::now())?;
    subscriptions::unsubscribe(&state.pool, claims.subject).await?;
    let page = MessagePage::new(
        "You're unsubscribed",
        vec![
            "No more mail will come from tend to this address.".into(),
            "Whatever comes next, we wish you and your partner well.".into(),
        ],
    );
    Ok(Html(render(&page)))
}
