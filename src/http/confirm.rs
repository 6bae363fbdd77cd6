//! `GET|POST /confirm/{token}`: the double opt-in. `GET` only shows a button.
//! The page after confirming links nowhere personal: a confirm link lives
//! seven days, and the welcome mail carries the preferences link.

use axum::extract::{Path, State};
use axum::response::Html;

use super::AppState;
use super::error::AppError;
use super::opened::verify_current;
use super::pages::{ButtonPage, MessagePage, local_when, render};
use crate::domain::Purpose;
use crate::store;
use crate::subscriptions::{self, ConfirmOutcome};

const PAGE: ButtonPage = ButtonPage {
    purpose: Purpose::Confirm,
    path: "confirm",
    title: "Confirm your subscription",
    paragraph: "Press the button to start your nudges. You can pause or unsubscribe at any time from any mail.",
    label: "Confirm",
};

pub async fn page(State(state): State<AppState>, Path(token): Path<String>) -> Result<Html<String>, AppError> {
    PAGE.show(&state, &token).await
}

#[tracing::instrument(name = "confirm", skip_all)]
pub async fn submit(State(state): State<AppState>, Path(token): Path<String>) -> Result<Html<String>, AppError> {
    let claims = verify_current(&state, &token, Purpose::Confirm).await?;
    let outcome = subscriptions::confirm(&state.pool, claims.subject, state.scheduling).await?;
    let page = match outcome {
        ConfirmOutcome::Confirmed | ConfirmOutcome::AlreadyConfirmed => {
            let Some(subscriber) = store::subscribers::get(&state.pool, claims.subject).await? else {
                return Err(AppError::InvalidLink);
            };
            let first =
                store::tracks::list(&state.pool, subscriber.id).await?.into_iter().filter_map(|t| t.next_due_at).min();
            let mut lines = vec![if outcome == ConfirmOutcome::Confirmed {
                "Thank you. Your subscription is active.".to_owned()
            } else {
                "Your subscription was already confirmed. Nothing more to do.".to_owned()
            }];
            if let Some(first) = first {
                lines.push(format!("Your next nudge arrives on {}.", local_when(first, subscriber.zone)));
            }
            lines.push("A welcome mail is on its way, with a link to your preferences.".to_owned());
            MessagePage::new("You're in", lines)
        }
        ConfirmOutcome::NoLongerPending => MessagePage::new(
            "This subscription was cancelled",
            vec![
                "This address unsubscribed after the link was sent. To start again, subscribe on the front page."
                    .into(),
            ],
        )
        .with_link(state.links.home(), "Subscribe again"),
    };
    Ok(Html(render(&page)))
}
