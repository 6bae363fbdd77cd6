//! `GET|POST /confirm/{token}`: the double opt-in. `GET` only shows a button.
//! The page after confirming links nowhere personal: a confirm link lives
//! seven days, and the welcome mail carries the preferences link.

use axum::extract::{Path, State};
use axum::response::Html;

use super::AppState;
use super::error::AppError;
use super::opened::verify_current;
use super::pages::{ButtonPage, MessagePage, render};
use crate::domain::Purpose;
use crate::i18n;
use crate::store;
use crate::subscriptions::{self, ConfirmOutcome};

const PAGE: ButtonPage = ButtonPage {
    purpose: Purpose::Confirm,
    path: "confirm",
    title: "confirm-title",
    paragraph: "confirm-text",
    label: "confirm-button",
};

pub async fn page(State(state): State<AppState>, Path(token): Path<String>) -> Result<Html<String>, AppError> {
    PAGE.show(&state, &token).await
}

#[tracing::instrument(name = "confirm", skip_all)]
pub async fn submit(State(state): State<AppState>, Path(token): Path<String>) -> Result<Html<String>, AppError> {
    let (claims, locale) = verify_current(&state, &token, Purpose::Confirm).await?;
    let t = i18n::tr(&locale);
    let outcome = subscriptions::confirm(&state.pool, claims.subject, state.scheduling).await?;
    let page = match outcome {
        ConfirmOutcome::Confirmed | ConfirmOutcome::AlreadyConfirmed => {
            let Some(subscriber) = store::subscribers::get(&state.pool, claims.subject).await? else {
                return Err(AppError::InvalidLink);
            };
            let first =
                store::tracks::list(&state.pool, subscriber.id).await?.into_iter().filter_map(|t| t.next_due_at).min();
            let t = i18n::tr(&subscriber.locale);
            let mut lines = vec![t.get(match outcome {
                ConfirmOutcome::Confirmed => "confirmed-now",
                _ => "confirmed-already",
            })];
            if let Some(first) = first {
                lines.push(t.with("next-nudge-on", &[("when", t.when(first, subscriber.zone).into())]));
            }
            lines.push(t.get("welcome-on-its-way"));
            MessagePage::new(t, t.get("confirmed-title"), lines)
        }
        ConfirmOutcome::NoLongerPending => {
            MessagePage::of(t, "cancelled-title", &["cancelled-text"]).with_link(state.links.home(), "subscribe-again")
        }
    };
    Ok(Html(render(&page)))
}
