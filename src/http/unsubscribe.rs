//! `GET|POST /unsubscribe/{token}`: RFC 8058 one-click unsubscribe.
//!
//! The `POST` (from a mail client's one-click button, with the body
//! `List-Unsubscribe=One-Click`, or from our own page) unsubscribes at once:
//! no cookie, no redirect, no confirmation step. The `GET` only shows a button.
//!
//! An unsubscribe link keeps working after its subscriber signed out every
//! link (RFC 8058 and the large mailbox providers require it, and stopping
//! mail is always allowed), so someone else may hold one: both pages show
//! nothing personal, and the same words whoever the link is for.

use axum::extract::{Path, State};
use axum::response::Html;

use super::AppState;
use super::error::AppError;
use super::opened::verify_current;
use super::pages::{ButtonPage, MessagePage, render};
use crate::domain::Purpose;
use crate::i18n::{self, Tr};
use crate::subscriptions;

const PAGE: ButtonPage = ButtonPage {
    purpose: Purpose::Unsubscribe,
    path: "unsubscribe",
    title: "unsubscribe-title",
    paragraph: "unsubscribe-text",
    label: "unsubscribe-button",
};

pub async fn page(State(state): State<AppState>, Path(token): Path<String>) -> Result<Html<String>, AppError> {
    PAGE.show(&state, &token).await
}

#[tracing::instrument(name = "unsubscribe", skip_all)]
pub async fn submit(State(state): State<AppState>, Path(token): Path<String>) -> Result<Html<String>, AppError> {
    let (claims, locale) = verify_current(&state, &token, Purpose::Unsubscribe).await?;
    subscriptions::unsubscribe(&state.pool, claims.subject).await?;
    Ok(Html(render(&unsubscribed(i18n::tr(&locale)))))
}

/// What unsubscribing shows, from a link or from the preferences page.
pub fn unsubscribed(t: Tr) -> MessagePage {
    MessagePage::of(t, "unsubscribed-title", &["unsubscribed-text", "unsubscribed-wish"])
}
