//! Loading what a claimed delivery's mail needs: the one place where a
//! mail's facts are read, so that composing it (`mail::Composer`) is pure.
//!
//! Each shape of mail loads what its body carries; a plain mail names its
//! placeholder values here. Whether the subscriber still wants the mail is
//! the kind's rule (`DeliveryKind::wanted_by`), plus the weekly summary's own
//! switch, the shared signal's two switches and, for "could not read your
//! reply", whether the mail it is about is still unanswered. An `Err` is a failure to read (the database blinked): the sender
//! retries it like a 4xx; only [`Loaded::NotWanted`] and [`Loaded::Broken`]
//! cancel a delivery.

use chrono::Duration;
use sqlx::PgPool;

use super::deliveries::Claimed;
use crate::domain::mail::{AnswerAgain, Buttons, DeliveryRef, MailBody, MailContext, WeekFacts};
use crate::domain::partner::invited_by;
use crate::domain::{DayAnswer, DeliveryKind, PlainMail, Shape};
use crate::store;

/// What a claimed delivery turns into.
#[derive(Debug)]
pub enum Loaded {
    Mail(Box<MailContext>),
    /// The subscription moved on since the row was queued (a confirmation
    /// for someone already active, a nudge for someone who paused): cancel.
    NotWanted(&'static str),
    /// The row cannot become a mail (a nudge without its text): cancel.
    Broken(&'static str),
}

#[tracing::instrument(skip_all, fields(delivery_id = claimed.id, kind = %claimed.kind))]
pub async fn load(pool: &PgPool, claimed: &Claimed) -> anyhow::Result<Loaded> {
    if !claimed.kind.wanted_by(claimed.status) {
        return Ok(Loaded::NotWanted("the subscription no longer wants this mail"));
    }
    let body = match claimed.kind.shape() {
        Shape::Plain(mail) => MailBody::Plain { mail, values: plain_values(mail, claimed) },
        Shape::Nudge => match (claimed.track, &claimed.variant) {
            (Some(track), Some(variant)) => MailBody::Nudge { track, variant: variant.clone() },
            _ => return Ok(Loaded::Broken("a nudge row without its track and variant")),
        },
        Shape::Promise(which) => MailBody::Promise(which),
        Shape::WeeklySummary => match week_facts(pool, claimed).await? {
            Some(week) => MailBody::WeeklySummary(week),
            None => return Ok(Loaded::NotWanted("the weekly summary was switched off")),
        },
        Shape::AnswerAgain => match answer_again(pool, claimed).await? {
            Ok(again) => MailBody::AnswerAgain(again),
            Err(not_sent) => return Ok(not_sent),
        },
        Shape::Invitation => match invitation(pool, claimed).await? {
            Some(body) => body,
            None => return Ok(Loaded::Broken("an invitation row without its invitation")),
        },
    };
    if claimed.kind == DeliveryKind::SharedSignal
        && !store::partners::signal_on_for_both(pool, claimed.to.subscriber_id).await?
    {
        return Ok(Loaded::NotWanted("the link ended or a side switched the shared signal off"));
    }
    let delivery = DeliveryRef { id: claimed.id, slot: claimed.slot, message_key: claimed.message_key.clone() };
    Ok(Loaded::Mail(Box::new(MailContext { delivery, to: claimed.to.clone(), body })))
}

/// The values of each plain mail's placeholders (`DeliveryKind::placeholders`).
fn plain_values(mail: PlainMail, claimed: &Claimed) -> Vec<(&'static str, String)> {
    match mail {
        PlainMail::Confirm | PlainMail::KeepGoing | PlainMail::FreshLink | PlainMail::SharedSignal => Vec::new(),
        PlainMail::Welcome => {
            vec![("time", claimed.send_time.to_string()), ("timezone", claimed.to.zone.name().to_owned())]
        }
    }
}

/// The buttons of the mail an unclear reply was about; not wanted once
/// that mail was answered meanwhile (a second reply, a button) or is gone.
async fn answer_again(pool: &PgPool, claimed: &Claimed) -> anyhow::Result<Result<AnswerAgain, Loaded>> {
    let Some(about_id) = claimed.about_delivery_id else {
        return Ok(Err(Loaded::Broken("a reply_unclear row without the delivery it is about")));
    };
    let Some(about) = store::inbound::delivery(pool, about_id).await? else {
        return Ok(Err(Loaded::NotWanted("the mail the reply was about is gone")));
    };
    if about.answered {
        return Ok(Err(Loaded::NotWanted("the mail the reply was about was answered meanwhile")));
    }
    let buttons = match (about.kind.shape(), about.track, about.variant) {
        (Shape::Nudge, Some(track), Some(variant)) => Buttons::Nudge { track, variant },
        (Shape::Promise(which), _, _) => Buttons::Promise(which),
        _ => return Ok(Err(Loaded::Broken("a reply_unclear row about a mail without buttons"))),
    };
    Ok(Ok(AnswerAgain { about_id, about_slot: about.slot, buttons }))
}

/// Who an invitation says it is from, or `None` if its row is gone.
async fn invitation(pool: &PgPool, claimed: &Claimed) -> anyhow::Result<Option<MailBody>> {
    let Some(id) = claimed.invitation_id else { return Ok(None) };
    let Some(invitation) = store::partners::invitation(pool, id).await? else { return Ok(None) };
    let from_name = invited_by(invitation.from_name.as_ref(), invitation.shown_address.as_ref(), &claimed.to.locale);
    Ok(Some(MailBody::Invitation { invitation_id: id, from_name }))
}

/// The week before the summary's slot, or `None` if the subscriber switched
/// summaries off since it was queued.
async fn week_facts(pool: &PgPool, claimed: &Claimed) -> anyhow::Result<Option<WeekFacts>> {
    let subscriber_id = claimed.to.subscriber_id;
    if store::subscribers::weekly_summary(pool, subscriber_id).await?.is_none() {
        return Ok(None);
    }
    let tz = claimed.to.zone.tz();
    let since = claimed.slot - Duration::days(7);
    let answers = store::answers::since(pool, subscriber_id, since)
        .await?
        .into_iter()
        .map(|(track, action, at)| DayAnswer { date: at.with_timezone(&tz).date_naive(), track, action })
        .collect();
    let (kept, renegotiated) = store::promises::good_outcomes_since(pool, subscriber_id, since).await?;
    let sent = store::nudges::sent_between(pool, subscriber_id, since, claimed.slot).await?;
    let today = claimed.slot.with_timezone(&tz).date_naive();
    Ok(Some(WeekFacts { answers, sent, kept, renegotiated, today }))
}
