//! `GET|POST /resume/{token}`: "keep going" after tend went quiet. `GET`
//! only shows the button; the `POST` starts the nudges again.

use axum::extract::{Path, State};
use axum::response::Html;

use super::AppState;
use super::error::AppError;
use super::opened::verify_current;
use super::pages::{ButtonPage, MessagePage, render};
use crate::domain::{Purpose, SubscriberStatus};
use crate::i18n;
use crate::store;
use crate::subscriptions;

const PAGE: ButtonPage = ButtonPage {
    purpose: Purpose::Resume,
    path: "resume",
    title: "resume-title",
    paragraph: "resume-text",
    label: "resume-button",
};

pub async fn page(State(state): State<AppState>, Path(token): Path<String>) -> Result<Html<String>, AppError> {
    PAGE.show(&state, &token).await
}

#[tracing::instrument(name = "resume", skip_all)]
pub async fn submit(State(state): State<AppState>, Path(token): Path<String>) -> Result<Html<String>, AppError> {
    let (claims, locale) = verify_current(&state, &token, Purpose::Resume).await?;
    let t = i18n::tr(&locale);
    let status =
        subscriptions::resume(&state.pool, claims.subject, state.scheduling).await?.ok_or(AppError::InvalidLink)?;
    let page = if status == SubscriberStatus::Active {
        let subscriber = store::subscribers::get(&state.pool, claims.subject).await?.ok_or(AppError::InvalidLink)?;
        let first =
            store::tracks::list(&state.pool, subscriber.id).await?.into_iter().filter_map(|t| t.next_due_at).min();
        let mut lines = vec![t.get("resumed-text")];
        if let Some(first) = first {
            lines.push(t.with("next-nudge-on", &[("when", t.when(first, subscriber.zone).into())]));
        }
        MessagePage::new(t, t.get("resumed-title"), lines)
    } else {
        MessagePage::of(t, "nothing-to-resume-title", &["nothing-to-resume-text"])
            .with_link(state.links.home(), "front-page")
    };
    Ok(Html(render(&page)))
}
