//! `GET|POST /p/{token}`: a promise mail's page. It shows the promise (the
//! only place its words appear outside the database) and the answer buttons;
//! only the `POST` records anything.

use axum::extract::{Path, Query, State};
use axum::response::Html;
use chrono::Utc;
use serde::Deserialize;

use super::AppState;
use super::error::AppError;
use super::fields::Fields;
use super::pages::{PromisePage, local_when, render};
use crate::domain::promise::{CheckAnswer, Outcome};
use crate::domain::{PromiseMail, Purpose};
use crate::store::{self, promises::PromiseRow};
use crate::subscriptions::promises as flows;

#[derive(Deserialize)]
pub struct Preselect {
    a: Option<String>,
}

/// Words for telling a partner early, shown after "I need to say it early".
const SAY_IT_EARLY: [&str; 3] = [
    "Thank you for being honest with yourself. Telling your partner now, before the time comes, is the trustworthy thing to do.",
    "You could say: \"I promised I would do this, and I've realised I can't manage it the way I said. I'm telling you now rather than letting it slip. Here is what I can do instead.\"",
    "Then offer one thing you can keep, and keep it. No long explanation is needed.",
];

pub async fn page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(preselect): Query<Preselect>,
) -> Result<Html<String>, AppError> {
    let (mail, promise) = load(&state, &token).await?;
    Ok(Html(render(&build(&state, &token, mail, &promise, preselect.a.as_deref(), None).await?)))
}

#[tracing::instrument(name = "promise answer", skip_all)]
pub async fn submit(
    State(state): State<AppState>,
    Path(token): Path<String>,
    fields: Fields,
) -> Result<Html<String>, AppError> {
    let (mail, promise) = load(&state, &token).await?;
    let answer = fields.get("answer").unwrap_or_default();
    let answered = match mail {
        PromiseMail::Check => {
            let answer = CheckAnswer::parse(answer)
                .ok_or_else(|| AppError::bad_input("answer", "choose on_track or say_early"))?;
            flows::answer_check(&state.pool, promise.id, answer).await?
        }
        PromiseMail::Review => {
            let outcome = Outcome::parse(answer)
                .ok_or_else(|| AppError::bad_input("answer", "choose kept, kept_late, renegotiated or not_kept"))?;
            flows::answer_review(&state.pool, promise.id, outcome, state.scheduling).await?
        }
    };
    let answered = answered.ok_or(AppError::InvalidLink)?;
    let notice =
        if answered.recorded_now { "Thank you. Noted." } else { "This was already answered; the first answer counts." };
    Ok(Html(render(&build(&state, &token, mail, &answered.promise, None, Some(notice)).await?)))
}

async fn load(state: &AppState, token: &str) -> Result<(PromiseMail, PromiseRow), AppError> {
    let claims = state.links.signer().verify(token, Purpose::Promise, Utc::now())?;
    store::promises::for_delivery(&state.pool, claims.subject).await?.ok_or(AppError::InvalidLink)
}

async fn build(
    state: &AppState,
    token: &str,
    mail: PromiseMail,
    promise: &PromiseRow,
    preselected: Option<&str>,
    notice: Option<&str>,
) -> Result<PromisePage, AppError> {
    let subscriber = store::subscribers::get(&state.pool, promise.subscriber_id).await?.ok_or(AppError::InvalidLink)?;
    let text = state.sealer.open(&promise.sealed)?;
    let (question, recorded, buttons): (&str, Option<&str>, Vec<(&str, &str)>) = match mail {
        PromiseMail::Check => (
            "Is it still realistic?",
            promise.check_answer.map(CheckAnswer::label),
            CheckAnswer::ALL.iter().map(|a| (a.key(), a.label())).collect(),
        ),
        PromiseMail::Review => (
            "Did it happen?",
            promise.outcome.map(Outcome::label),
            Outcome::ALL.iter().map(|o| (o.key(), o.label())).collect(),
        ),
    };
    let script = (mail == PromiseMail::Check && promise.check_answer == Some(CheckAnswer::SayEarly))
        .then(|| SAY_IT_EARLY.iter().map(|s| (*s).to_owned()).collect());
    Ok(PromisePage {
        text,
        due: local_when(promise.due_at, subscriber.zone),
        question: question.into(),
        action_url: state.links.absolute(&format!("p/{token}")),
        buttons: buttons.into_iter().map(|(k, l)| (k, l, Some(k) == preselected)).collect(),
        recorded,
        notice: notice.map(str::to_owned),
        script,
        preferences_url: state.links.preferences(subscriber.id, Utc::now()),
    })
}
