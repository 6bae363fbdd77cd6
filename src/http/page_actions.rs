//! What several link pages offer besides their own buttons: writing a
//! promise down (answer and preferences pages) and mailing a fresh link to
//! the preferences page (answer, promise and preferences pages). A page
//! opened from a short-lived link offers these instead of minting a more
//! powerful link itself.

use super::AppState;
use super::error::AppError;
use super::fields::Fields;
use crate::domain::TimeOfDay;
use crate::domain::TimeZone;
use crate::domain::promise::{DueDate, PromiseText};
use crate::i18n;
use crate::store;
use crate::subscriptions::promises::{self, MakePromise, NewPromise, PromiseRules};
use crate::subscriptions::{self, FreshLink};

/// Mails the subscriber a fresh preferences link (within the daily limit).
/// Returns the message id of the notice, said whether the mail went, was
/// over the day's limit or was not wanted: a page never tells the difference.
pub async fn send_fresh_link(state: &AppState, subscriber_id: i64) -> Result<&'static str, AppError> {
    let outcome = subscriptions::request_fresh_link(&state.pool, subscriber_id).await?;
    tracing::info!(queued = outcome == FreshLink::Queued, "fresh link asked for");
    Ok("fresh-link-on-its-way")
}

/// Writes a promise down from the form's `promise`, `due_date`, `due_time`
/// and optional `timezone`; returns the notice to show.
pub async fn note_promise(state: &AppState, subscriber_id: i64, fields: &Fields) -> Result<String, AppError> {
    let text =
        PromiseText::parse(fields.get("promise").unwrap_or_default()).map_err(|e| AppError::bad_input("promise", e))?;
    let time =
        TimeOfDay::parse(fields.get("due_time").unwrap_or("18:00")).map_err(|e| AppError::bad_input("due_time", e))?;
    // The subscriber's own zone unless the form names another.
    let zone = fields
        .get("timezone")
        .filter(|z| !z.trim().is_empty())
        .map(TimeZone::parse)
        .transpose()
        .map_err(|e| AppError::bad_input("timezone", e))?;
    let due_date =
        DueDate::parse(fields.get("due_date").unwrap_or_default()).map_err(|e| AppError::bad_input("due_date", e))?;
    let promise = NewPromise { text, due_date, due_time: time, zone };
    let rules =
        PromiseRules { check_before: state.settings.promises.check_before.as_chrono(), scheduling: state.scheduling };
    let made = match promises::make_promise(&state.pool, &state.sealer, subscriber_id, &promise, rules).await? {
        MakePromise::Made(made) => made,
        MakePromise::Refused(err) => return Err(AppError::bad_input("due_date", err)),
        MakePromise::NoSubscriber => return Err(AppError::InvalidLink),
    };
    let subscriber = store::subscribers::get(&state.pool, subscriber_id).await?.ok_or(AppError::InvalidLink)?;
    let t = i18n::tr(&subscriber.locale);
    let noted = t.with("promise-noted", &[("due", t.when(made.due_at, subscriber.zone).into())]);
    Ok(match made.check_at {
        Some(at) => format!("{noted} {}", t.with("promise-will-ask", &[("when", t.when(at, subscriber.zone).into())])),
        None => noted,
    })
}
