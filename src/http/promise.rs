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
use super::pages::{PromisePage, local_when, render};
use crate::domain::promise::{CheckAnswer, Outcome};
use crate::domain::{Claims, PromiseMail, Purpose};
use crate::links::is_fresh;
use crate::store::{self, promises::PromiseRow, subscribers::Subscriber};
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

/// In place of words that are older than their link allows.
pub const WORDS_HIDDEN: &str = "The words are hidden because this link is more than a day old. A fresh link to your preferences shows the words of the promises still ahead.";
/// In place of words that do not open (moved from another promise, or changed).
pub const WORDS_UNREADABLE: &str = "The words of this promise cannot be shown: they do not open with tend's keys, so they were changed or copied from another promise. Nothing else is affected.";

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
        return Ok(Html(render(&build(&state, &token, &opened, None, Some(&notice)))));
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
    let notice =
        if answered.recorded_now { "Thank you. Noted." } else { "This was already answered; the first answer counts." };
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

/// The promise's words for this link: shown, hidden, or unreadable.
pub fn words(state: &AppState, promise: &PromiseRow, fresh: bool) -> Result<String, String> {
    if !fresh {
        return Err(WORDS_HIDDEN.to_owned());
    }
    state.sealer.open(&promise.sealed, promise.binding()).map_err(|err| {
        tracing::warn!(promise_id = promise.id, error = %err, "a promise's words do not open");
        WORDS_UNREADABLE.to_owned()
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
    let script = (*mail == PromiseMail::Check && promise.check_answer == Some(CheckAnswer::SayEarly))
        .then(|| SAY_IT_EARLY.iter().map(|s| (*s).to_owned()).collect());
    let (text, words_note) = match words(state, promise, is_fresh(claims, Utc::now())) {
        Ok(text) => (Some(text), None),
        Err(note) => (None, Some(note)),
    };
    PromisePage {
        text,
        words_note,
        due: local_when(promise.due_at, subscriber.zone),
        question: question.into(),
        action_url: state.links.absolute(&format!("p/{token}")),
        buttons: buttons.into_iter().map(|(k, l)| (k, l, Some(k) == preselected)).collect(),
        recorded,
        notice: notice.map(str::to_owned),
        script,
    }
}
