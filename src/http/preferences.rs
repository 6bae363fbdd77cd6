//! `GET|POST /me/{token}`: preferences, pause and resume, progress, and the
//! subscriber's controls over their links and data.
//!
//! What a preferences link may do depends on its age. Any current link
//! changes settings, pauses, unsubscribes, signs out every link
//! (`action=sign_out_links`, "someone else may have seen my mail") and
//! mails a fresh link; it also invites a partner (`action=invite_partner`),
//! switches this side's shared signal (`signal_on`, `signal_off`) and ends
//! a partner link (`unlink`). Only a link at most a day old (`links::FRESH`: the
//! one in a fresh-link mail, or a nudge's the day it came) shows promise
//! words and erases data (`action=delete`, 403 otherwise). The page mints
//! no link: its forms post back to the link that opened it.

use axum::extract::{Path, State};
use axum::response::Html;
use chrono::Utc;

use super::AppState;
use super::error::AppError;
use super::fields::Fields;
use super::opened::subscriber_link;
use super::page_actions::{note_promise, send_fresh_link};
use super::pages::{MessagePage, render};
use super::unsubscribe::unsubscribed;
use crate::domain::{Locale, Purpose, TimeOfDay, TimeZone, TrackSet, parse_on_off};
use crate::i18n::{self, Tr};
use crate::links::is_fresh;
use crate::mail::outbox;
use crate::store::subscribers::{Preferences, Subscriber};
use crate::subscriptions::{self, ErasureRequester, PreferencesChange};

mod partner;
mod view;

pub async fn page(State(state): State<AppState>, Path(token): Path<String>) -> Result<Html<String>, AppError> {
    let (claims, subscriber) = subscriber_link(&state, &token, Purpose::Preferences).await?;
    let fresh = is_fresh(&claims, Utc::now());
    Ok(Html(render(&view::build(&state, &token, &subscriber, fresh, None).await?)))
}

#[tracing::instrument(name = "preferences", skip_all)]
pub async fn submit(
    State(state): State<AppState>,
    Path(token): Path<String>,
    fields: Fields,
) -> Result<Html<String>, AppError> {
    let (claims, subscriber) = subscriber_link(&state, &token, Purpose::Preferences).await?;
    let id = subscriber.id;
    let fresh = is_fresh(&claims, Utc::now());
    let t = i18n::tr(&subscriber.locale);
    let in_locale = |err: AppError| err.in_locale(subscriber.locale.clone());
    let notice = match fields.get("action").unwrap_or("save") {
        "save" => {
            let change = parse_change(&fields, &subscriber).map_err(in_locale)?;
            if !subscriptions::update_preferences(&state.pool, id, change, state.scheduling).await? {
                return Err(AppError::InvalidLink);
            }
            Notice::Said("notice-saved")
        }
        "pause" => {
            subscriptions::pause(&state.pool, id).await?.ok_or(AppError::InvalidLink)?;
            Notice::Said("notice-paused")
        }
        "resume" => {
            subscriptions::resume(&state.pool, id, state.scheduling).await?.ok_or(AppError::InvalidLink)?;
            Notice::Said("notice-resumed")
        }
        "promise" => Notice::Written(note_promise(&state, id, &fields).await.map_err(in_locale)?),
        "send_link" => Notice::Said(send_fresh_link(&state, id).await?),
        action @ ("weekly_on" | "weekly_off") => {
            let on = action == "weekly_on";
            if !subscriptions::set_weekly_summary(&state.pool, id, on, state.scheduling).await? {
                return Err(AppError::InvalidLink);
            }
            Notice::Said(if on { "notice-weekly-on" } else { "notice-weekly-off" })
        }
        "invite_partner" => Notice::Said(partner::invite(&state, id, &fields).await.map_err(in_locale)?),
        action @ ("signal_on" | "signal_off") => {
            Notice::Said(partner::set_signal(&state, id, action == "signal_on").await?)
        }
        "unlink" => Notice::Said(partner::unlink(&state, id).await?),
        "delete" => return delete(&state, t, id, fresh, &fields).await.map_err(in_locale),
        "sign_out_links" => return sign_out(&state, t, id).await,
        "unsubscribe" => {
            subscriptions::unsubscribe(&state.pool, id).await?;
            return Ok(Html(render(&unsubscribed(t))));
        }
        _ => {
            return Err(AppError::bad_input(
                "action",
                "unknown action: use save, pause, resume, promise, send_link, weekly_on, weekly_off, \
                 invite_partner, signal_on, signal_off, unlink, delete, sign_out_links or unsubscribe",
            ));
        }
    };
    // Read again: the page shows the new settings, in the language just chosen.
    let subscriber = crate::store::subscribers::get(&state.pool, id).await?.ok_or(AppError::InvalidLink)?;
    let notice = notice.in_words(i18n::tr(&subscriber.locale));
    Ok(Html(render(&view::build(&state, &token, &subscriber, fresh, Some(notice)).await?)))
}

/// What an action says back, in the language of the page that follows.
enum Notice {
    /// A message id.
    Said(&'static str),
    /// Already in words.
    Written(String),
}

impl Notice {
    fn in_words(self, t: Tr) -> String {
        match self {
            Notice::Said(id) => t.get(id),
            Notice::Written(words) => words,
        }
    }
}

/// Switches off every link mailed so far, this page's own included.
async fn sign_out(state: &AppState, t: Tr, subscriber_id: i64) -> Result<Html<String>, AppError> {
    subscriptions::sign_out_links(&state.pool, subscriber_id).await?.ok_or(AppError::InvalidLink)?;
    let page = MessagePage::of(t, "signed-out-title", &["signed-out-text", "signed-out-next"]).with_fresh_link_form();
    Ok(Html(render(&page)))
}

/// Erases everything tend holds about the subscriber, after an explicit
/// tick, from a link at most a day old.
async fn delete(
    state: &AppState,
    t: Tr,
    subscriber_id: i64,
    fresh: bool,
    fields: &Fields,
) -> Result<Html<String>, AppError> {
    if !fresh {
        return Err(AppError::NeedsFreshLink);
    }
    if fields.get("confirm_delete") != Some("yes") {
        return Err(AppError::bad_input(
            "confirm_delete",
            "tick the box to confirm that all your data should be deleted",
        ));
    }
    let erasure = subscriptions::forget(&state.pool, subscriber_id, ErasureRequester::Subscriber)
        .await?
        .ok_or(AppError::InvalidLink)?;
    outbox::erase(&state.settings.mail.outbox_dir, erasure.email.as_str())
        .await
        .map_err(|e| AppError::Internal(anyhow::Error::new(e).context("failed to erase outbox copies")))?;
    let page = MessagePage::of(t, "deleted-title", &["deleted-text", "deleted-thanks"]);
    Ok(Html(render(&page)))
}

/// The settings form. `discreet` is a checkbox after a hidden `off`, so the
/// last value counts; without the field the choice stays as it is.
fn parse_change(fields: &Fields, subscriber: &Subscriber) -> Result<PreferencesChange, AppError> {
    let zone =
        TimeZone::parse(fields.get("timezone").unwrap_or_default()).map_err(|e| AppError::bad_input("timezone", e))?;
    let time = TimeOfDay::parse(fields.get("time").unwrap_or_default()).map_err(|e| AppError::bad_input("time", e))?;
    let max_per_day =
        match fields.get("max_per_day") {
            None => 1,
            Some(text) => text.trim().parse::<u32>().ok().filter(|n| (1..=5).contains(n)).ok_or_else(|| {
                AppError::bad_input("max_per_day", "nudges per day must be a whole number from 1 to 5")
            })?,
        };
    let discreet = fields.all("discreet").into_iter().map(parse_on_off).collect::<Result<Vec<bool>, _>>();
    let discreet = discreet.map_err(|e| AppError::bad_input("discreet", e))?.last().copied();
    let tracks = TrackSet::parse(fields.all("tracks")).map_err(|e| AppError::bad_input("tracks", e))?;
    let locale = match fields.get("locale") {
        None => subscriber.locale.clone(),
        Some(tag) => Locale::parse_supported(tag).map_err(|e| AppError::bad_input("locale", e))?,
    };
    let preferences =
        Preferences { zone, time, max_per_day, discreet: discreet.unwrap_or(subscriber.discreet), locale };
    Ok(PreferencesChange { preferences, tracks })
}
