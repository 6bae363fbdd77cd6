//! `GET|POST /p/{token}`: a promise mail's page. It shows the promise's
//! words (the only place they appear outside the database and the
//! preferences page) and the answer buttons; only the `POST` records
//! anything. A promise link lives 14 days, but its words show only while it
//! is at most a day old (`links::FRESH`): after that the page says they are
//! hidden and offers to mail a fresh link. It mints no link itself.

use axum::extract::{Path, Query, State};
use axum::response::Html;
use chrono::Utc;
use serde::Deserialize;

use super::AppState;
use super::error::AppError;
use super::fields::Fields;
use super::page_actions::send_fresh_link;
use super::pages::{PromisePage, render};
use crate::domain::promise::{CheckAnswer, Outcome};
use crate::domain::{Claims, PromiseMail, Purpose};
use crate::i18n::{self, Tr};
use crate::links::is_fresh;
use crate::store::{self, promises::PromiseRow, subscribers::Subscriber};
use crate::subscriptions::promises as flows;

#[derive(Deserialize)]
pub struct Preselect {
    a: Option<String>,
}

/// Words for telling a partner early, shown after "I need to say it early".
const SAY_IT_EARLY: [&str; 3] = ["say-early-1", "say-early-2", "say-early-3"];

/// A verified promise link of the current generation, its promise and its person.
struct Opened {
    claims: Claims,
    mail: PromiseMail,
    promise: PromiseRow,
    subscriber: Subscriber,
}

pub async fn page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(preselect): Query<Preselect>,
) -> Result<Html<String>, AppError> {
    let opened = open(&state, &token).await?;
    Ok(Html(render(&build(&state, &token, &opened, preselect.a.as_deref(), None))))
}

#[tracing::instrument(name = "promise answer", skip_all)]
pub async fn submit(
    State(state): State<AppState>,
    Path(token): Path<String>,
    fields: Fields,
) -> Result<Html<String>, AppError> {
    let mut opened = open(&state, &token).await?;
    if fields.get("action") == Some("send_link") {
        let notice = send_fresh_link(&state, opened.subscriber.id).await?;
        return Ok(Html(render(&build(&state, &token, &opened, None, Some(notice)))));
    }
    let answer = fields.get("answer").unwrap_or_default();
    let answered = match opened.mail {
        PromiseMail::Check => {
            let answer = CheckAnswer::parse(answer)
                .ok_or_else(|| AppError::bad_input("answer", "choose on_track or say_early"))?;
            flows::answer_check(&state.pool, opened.promise.id, answer).await?
        }
        PromiseMail::Review => {
            let outcome = Outcome::parse(answer)
                .ok_or_else(|| AppError::bad_input("answer", "choose kept, kept_late, renegotiated or not_kept"))?;
            flows::answer_review(&state.pool, opened.promise.id, outcome, state.scheduling).await?
        }
    };
    let answered = answered.ok_or(AppError::InvalidLink)?;
    let notice = if answered.recorded_now { "notice-noted" } else { "notice-already-answered" };
    opened.promise = answered.promise;
    Ok(Html(render(&build(&state, &token, &opened, None, Some(notice)))))
}

async fn open(state: &AppState, token: &str) -> Result<Opened, AppError> {
    let claims = state.links.signer().verify(token, Purpose::Promise, Utc::now())?;
    let (mail, promise) =
        store::promises::for_delivery(&state.pool, claims.subject).await?.ok_or(AppError::InvalidLink)?;
    let subscriber = store::subscribers::get(&state.pool, promise.subscriber_id).await?.ok_or(AppError::InvalidLink)?;
    let claims = claims.current(subscriber.link_generation)?;
    Ok(Opened { claims, mail, promise, subscriber })
}

/// The promise's words for this link: shown, or the message id saying why
/// not (hidden, or unreadable).
pub fn words(state: &AppState, promise: &PromiseRow, fresh: bool) -> Result<String, &'static str> {
    if !fresh {
        return Err("words-hidden");
    }
    state.sealer.open(&promise.sealed, promise.binding()).map_err(|err| {
        tracing::warn!(promise_id = promise.id, error = %err, "a promise's words do not open");
        "words-unreadable"
    })
}

fn build(
    state: &AppState,
    token: &str,
    opened: &Opened,
    preselected: Option<&str>,
    notice: Option<&str>,
) -> PromisePage {
    let Opened { claims, mail, promise, subscriber } = opened;
    let t = i18n::tr(&subscriber.locale);
    let (question, recorded, buttons) = answers(t, *mail, promise);
    let script = (*mail == PromiseMail::Check && promise.check_answer == Some(CheckAnswer::SayEarly))
        .then(|| SAY_IT_EARLY.iter().map(|id| t.get(id)).collect());
    let (text, words_note) = match words(state, promise, is_fresh(claims, Utc::now())) {
        Ok(text) => (Some(text), None),
        Err(note) => (None, Some(t.get(note))),
    };
    PromisePage {
        t,
        text,
        words_note,
        due: t.with("promise-due", &[("when", t.when(promise.due_at, subscriber.zone).into())]),
        question: t.get(question),
        action_url: state.links.absolute(&format!("p/{token}")),
        buttons: buttons.into_iter().map(|(k, l)| (k, l, Some(k) == preselected)).collect(),
        recorded: recorded.map(|label| t.with("your-answer", &[("label", label.into())])),
        notice: notice.map(|id| t.get(id)),
        script,
    }
}

/// The mail's question (a message id), the answer already recorded, and
/// the buttons as (key, label).
type Answers = (&'static str, Option<String>, Vec<(&'static str, String)>);

fn answers(t: Tr, mail: PromiseMail, promise: &PromiseRow) -> Answers {
    match mail {
        PromiseMail::Check => (
            "question-check",
            promise.check_answer.map(|a| t.check_answer(a)),
            CheckAnswer::ALL.iter().map(|a| (a.key(), t.check_answer(*a))).collect(),
        ),
        PromiseMail::Review => (
            "question-review",
            promise.outcome.map(|o| t.outcome(o)),
            Outcome::ALL.iter().map(|o| (o.key(), t.outcome(*o))).collect(),
        ),
    }
}
