//! `GET|POST /resume/{token}`: "keep going" after tend went quiet. `GET`
//! only shows the button; the `POST` starts the nudges again.

use axum::extract::{Path, State};
use axum::response::Html;

use super::AppState;
use super::error::AppError;
use super::opened::verify_current;
use super::pages::{ButtonPage, MessagePage, local_when, render};
use crate::domain::{Purpose, SubscriberStatus};
use crate::store;
use crate::subscriptions;

const PAGE: ButtonPage = ButtonPage {
    purpose: Purpose::Resume,
    path: "resume",
    title: "Keep going?",
    paragraph: "Press the button and your nudges start again at your next slot, a little gentler than before.",
    label: "Keep going",
};

pub async fn page(State(state): State<AppState>, Path(token): Path<String>) -> Result<Html<String>, AppError> {
    PAGE.show(&state, &token).await
}

#[tracing::instrument(name = "resume", skip_all)]
pub async fn submit(State(state): State<AppState>, Path(token): Path<String>) -> Result<Html<String>, AppError> {
    let claims = verify_current(&state, &token, Purpose::Resume).await?;
    let status =
        subscriptions::resume(&state.pool, claims.subject, state.scheduling).await?.ok_or(AppError::InvalidLink)?;
    let page = if status == SubscriberStatus::Active {
        let subscriber = store::subscribers::get(&state.pool, claims.subject).await?.ok_or(AppError::InvalidLink)?;
        let first =
            store::tracks::list(&state.pool, subscriber.id).await?.into_iter().filter_map(|t| t.next_due_at).min();
        let mut lines = vec!["Welcome back. No catching up needed: we start from today.".to_owned()];
        if let Some(first) = first {
            lines.push(format!("Your next nudge arrives on {}.", local_when(first, subscriber.zone)));
        }
        MessagePage::new("Welcome back", lines)
    } else {
        MessagePage::new(
            "Nothing to resume",
            vec![
                "This subscription is not resting. If you unsubscribed, you can subscribe again on the front page."
                    .into(),
            ],
        )
        .with_link(state.links.home(), "Front page")
    };
    Ok(Html(render(&page)))
}
