//! Mails about the journey: the two promise mails and the weekly summary.
//! They read the database (the week's answers) at send time, so the sender
//! renders every delivery through `render_delivery`.
//!
//! Promise mails name the due time, never the promise's words: those stay
//! sealed in the database and appear only on the page behind the link.

use chrono::Duration;
use sqlx::PgPool;

use super::{ActionLink, Composer, Content, OutgoingEmail};
use crate::domain::promise::{CheckAnswer, Outcome};
use crate::domain::{Action, DeliveryKind, Locale, SubscriberStatus, TimeZone, Track};
use crate::mail::catalog::paragraphs as paragraphs_of;
use crate::progress::{self, DayAnswer};
use crate::store::{self, deliveries::Claimed};

impl Composer {
    /// Renders any claimed delivery; `None` when the subscription moved on.
    pub async fn render_delivery(&self, pool: &PgPool, d: &Claimed) -> anyhow::Result<Option<OutgoingEmail>> {
        let active = SubscriberStatus::from_key(&d.subscriber_status)? == SubscriberStatus::Active;
        match d.kind()? {
            DeliveryKind::PromiseCheck | DeliveryKind::PromiseReview if !active => Ok(None),
            DeliveryKind::PromiseCheck => Ok(Some(self.promise_check(d))),
            DeliveryKind::PromiseReview => Ok(Some(self.promise_review(d))),
            DeliveryKind::WeeklySummary => {
                let wanted = active && store::subscribers::weekly_summary(pool, d.subscriber_id).await?.is_some();
                if wanted { Ok(Some(self.weekly_summary(pool, d).await?)) } else { Ok(None) }
            }
            _ => self.for_delivery(d),
        }
    }

    fn promise_check(&self, d: &Claimed) -> OutgoingEmail {
        let content = Content {
            subject: "A promise is coming up: still realistic?".into(),
            heading: "Still realistic?".into(),
            paragraphs: vec![
                "A promise you wrote down in tend is due soon. Is it still realistic?".into(),
                "If it isn't, saying so now is the kind thing to do: a promise renegotiated early costs far less trust than one that quietly slips.".into(),
            ],
            actions_intro: "Open your promise and answer:".into(),
            actions: CheckAnswer::ALL
                .into_iter()
                .map(|a| ActionLink { label: a.label().into(), url: self.links.promise(d.id, d.slot, Some(a.key())) })
                .collect(),
            footer: "You get this because you wrote a promise down in tend.".into(),
            preferences_url: Some(self.links.preferences(d.subscriber_id, d.slot)),
            unsubscribe_url: self.links.unsubscribe(d.subscriber_id, d.slot),
        };
        self.render(&d.email, &d.message_key, content)
    }

    fn promise_review(&self, d: &Claimed) -> OutgoingEmail {
        let content = Content {
            subject: "Your promise: did it happen?".into(),
            heading: "Did it happen?".into(),
            paragraphs: vec![
                "A promise you wrote down in tend was due. However it went, telling tend helps it pace your follow-through nudges.".into(),
            ],
            actions_intro: "Open your promise and answer:".into(),
            actions: Outcome::ALL
                .into_iter()
                .map(|o| ActionLink { label: o.label().into(), url: self.links.promise(d.id, d.slot, Some(o.key())) })
                .collect(),
            footer: "You get this because you wrote a promise down in tend.".into(),
            preferences_url: Some(self.links.preferences(d.subscriber_id, d.slot)),
            unsubscribe_url: self.links.unsubscribe(d.subscriber_id, d.slot),
        };
        self.render(&d.email, &d.message_key, content)
    }

    async fn weekly_summary(&self, pool: &PgPool, d: &Claimed) -> anyhow::Result<OutgoingEmail> {
        let zone = TimeZone::parse(&d.timezone)?;
        let since = d.slot - Duration::days(7);
        let answers: Vec<DayAnswer> = store::answers::since(pool, d.subscriber_id, since)
            .await?
            .into_iter()
            .map(|(track, action, at)| DayAnswer { date: at.with_timezone(&zone.tz()).date_naive(), track, action })
            .collect();
        let (kept, renegotiated) = store::promises::good_outcomes_since(pool, d.subscriber_id, since).await?;
        let sent = store::nudges::sent_between(pool, d.subscriber_id, since, d.slot).await?;
        let count = |a: Action| answers.iter().filter(|x| x.action == a).count();
        let (done, partly, not_yet) = (count(Action::Done), count(Action::Partly), count(Action::NotYet));
        let numbers = [
            ("sent", sent.to_string()),
            ("done", done.to_string()),
            ("partly", partly.to_string()),
            ("not_yet", not_yet.to_string()),
            ("unanswered", sent.saturating_sub((done + partly + not_yet) as i64).to_string()),
        ];
        let values: Vec<(&str, &str)> = numbers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let words = self.catalog.weekly_summary(&Locale::or_en(&d.locale)).filled(&values);
        // The catalog's words when there is something to tell, a quiet line
        // otherwise; then the good news per track and promise.
        let mut paragraphs: Vec<String> = if done + partly + not_yet > 0 {
            paragraphs_of(&words.body).collect()
        } else {
            vec![progress::QUIET_WEEK.to_owned()]
        };
        paragraphs.extend(progress::weekly_details(&answers, kept as usize, renegotiated as usize));
        let content = Content {
            subject: words.subject,
            heading: words.heading,
            paragraphs,
            actions_intro: words.actions_intro,
            actions: vec![ActionLink { label: words.action, url: self.links.preferences(d.subscriber_id, d.slot) }],
            footer: words.footer,
            preferences_url: Some(self.links.preferences(d.subscriber_id, d.slot)),
            unsubscribe_url: self.links.unsubscribe(d.subscriber_id, d.slot),
        };
        let mut email = self.render(&d.email, &d.message_key, content);
        // The picture goes into the HTML part only, before the footer rule.
        let today = d.slot.with_timezone(&zone.tz()).date_naive();
        let tracks: Vec<Track> = {
            let mut seen: Vec<Track> = answers.iter().map(|a| a.track).collect();
            seen.sort();
            seen.dedup();
            seen
        };
        let figures: String = tracks
            .into_iter()
            .map(|t| {
                format!(
                    "<p style=\"margin:8px 0 2px;font-family:Arial,sans-serif;font-size:13px;\">{}</p>{}",
                    t.title(),
                    progress::heatmap(&answers, t, today)
                )
            })
            .collect();
        email.html = email.html.replacen("<hr", &format!("{figures}<hr"), 1);
        Ok(email)
    }
}
