//! The weekly summary: the catalog's words with the week's numbers, the
//! good news in sentences, and in the HTML part a 12-week heatmap per track
//! answered that week. The numbers and pictures come from [`WeekFacts`],
//! which the store loaded; nothing here counts in the database.

use super::{ActionLink, Composer, Content, Figure};
use crate::domain::mail::{DeliveryRef, Recipient, WeekFacts};
use crate::domain::{Action, DeliveryKind, Track};
use crate::i18n;
use crate::progress;

impl Composer {
    pub(super) fn weekly_summary(&self, d: &DeliveryRef, to: &Recipient, week: &WeekFacts) -> Content {
        let t = i18n::tr(&to.locale);
        let numbers = week_numbers(week);
        let values: Vec<(&str, &str)> = numbers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let words = self.catalog.mail(&to.locale, DeliveryKind::WeeklySummary).filled(&values);
        let button =
            ActionLink { label: words.action_label().to_owned(), url: self.links.preferences(to.link_owner(), d.slot) };
        // The catalog's words when there is something to tell, a quiet line
        // otherwise; then the good news per track and promise.
        let answered = week.answers.iter().any(|a| counts_as_answered(a.action));
        let mut content = Content::from_words(words, vec![button], self.footer_links(d, to));
        if !answered {
            content.paragraphs = vec![t.get("quiet-week")];
        }
        content.paragraphs.extend(progress::weekly_details(
            t,
            &week.answers,
            week.kept as usize,
            week.renegotiated as usize,
        ));
        content.figures = answered_tracks(week)
            .into_iter()
            .map(|track| Figure { title: t.track(track), svg: progress::heatmap(t, &week.answers, track, week.today) })
            .collect();
        content
    }
}

/// The values of the summary's placeholders: `{sent}`, `{done}`,
/// `{partly}`, `{not_yet}` and `{unanswered}`.
pub fn week_numbers(week: &WeekFacts) -> Vec<(&'static str, String)> {
    let count = |action: Action| week.answers.iter().filter(|a| a.action == action).count();
    let (done, partly, not_yet) = (count(Action::Done), count(Action::Partly), count(Action::NotYet));
    let unanswered = week.sent.saturating_sub((done + partly + not_yet) as i64);
    vec![
        ("sent", week.sent.to_string()),
        ("done", done.to_string()),
        ("partly", partly.to_string()),
        ("not_yet", not_yet.to_string()),
        ("unanswered", unanswered.to_string()),
    ]
}

/// Done, partly and not yet are answers about the step; snoozing and pausing
/// are not.
fn counts_as_answered(action: Action) -> bool {
    match action {
        Action::Done | Action::Partly | Action::NotYet => true,
        Action::Snooze | Action::PauseTrack => false,
    }
}

/// The tracks answered in the week, in catalog order.
fn answered_tracks(week: &WeekFacts) -> Vec<Track> {
    let mut tracks: Vec<Track> = week.answers.iter().map(|a| a.track).collect();
    tracks.sort();
    tracks.dedup();
    tracks
}
