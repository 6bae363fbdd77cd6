//! The preferences page: settings, progress, promises, and the controls
//! over links and data. What it shows depends on the link's age: promise
//! words and the delete form only for a fresh link, an offer to mail one
//! otherwise.

use chrono::{DateTime, Duration, Utc};

use super::super::AppState;
use super::super::error::AppError;
use super::super::pages::{
    PartnerSection, PreferencesPage, PromiseRecord, TrackChoice, TrackProgress, language_choices, zone_names,
};
use super::super::promise::words;
use crate::domain::promise::Outcome;
use crate::domain::{DayAnswer, TimeZone, Track};
use crate::i18n::{self, Tr};
use crate::mail::notes;
use crate::progress;
use crate::store::{self, subscribers::Subscriber};

pub async fn build(
    state: &AppState,
    token: &str,
    subscriber: &Subscriber,
    fresh: bool,
    notice: Option<String>,
) -> Result<PreferencesPage, AppError> {
    let subscriber_id = subscriber.id;
    let t = i18n::tr(&subscriber.locale);
    let tracks = store::tracks::list(&state.pool, subscriber_id).await?;
    let now = Utc::now();
    let today = now.with_timezone(&subscriber.zone.tz()).date_naive();
    let answers: Vec<DayAnswer> =
        store::answers::since(&state.pool, subscriber_id, now - Duration::weeks(progress::WEEKS))
            .await?
            .into_iter()
            .map(|(track, action, at)| DayAnswer {
                date: at.with_timezone(&subscriber.zone.tz()).date_naive(),
                track,
                action,
            })
            .collect();
    let enabled = |t: Track| tracks.iter().any(|s| s.track == t && s.enabled);
    let progress = tracks
        .iter()
        .map(|state| TrackProgress {
            title: t.track(state.track),
            next: match (state.enabled, state.next_due_at) {
                (false, _) => t.get("progress-off"),
                (true, None) => t.get("progress-not-scheduled"),
                (true, Some(at)) => {
                    t.with("progress-next", &[("when", next_words(t, at, now, subscriber.zone).into())])
                }
            },
            heatmap: progress::heatmap(t, &answers, state.track, today),
            summary: progress::summary_text(t, state.track, progress::tally(&answers, state.track, today)),
        })
        .collect();
    let status = t.get(&format!("status-{}", subscriber.status.key()));
    let for_line = [("email", subscriber.email.to_string().into()), ("status", status.into())];
    Ok(PreferencesPage {
        t,
        action_url: state.links.absolute(&format!("me/{token}")),
        for_line: t.with("prefs-for", &for_line),
        status: subscriber.status.key(),
        languages: language_choices(&subscriber.locale),
        zones: zone_names(),
        zone: subscriber.zone.name(),
        time: subscriber.time.to_string(),
        max_per_day: subscriber.max_per_day,
        discreet: subscriber.discreet,
        tracks: TrackChoice::list(t, enabled),
        progress,
        promises: promise_record(state, t, subscriber_id, now, subscriber.zone, fresh).await?,
        today: today.to_string(),
        weekly_summary: store::subscribers::weekly_summary(&state.pool, subscriber_id).await?.is_some(),
        partner: partner_section(state, subscriber_id).await?,
        fresh,
        safety_note: notes::safety(state.catalog.notes(&subscriber.locale), &state.lines),
        notice,
    })
}

/// This side's own facts of a partner link: whether there is one, and its
/// own switch. The other side's switch is never read for a page.
async fn partner_section(state: &AppState, subscriber_id: i64) -> Result<PartnerSection, AppError> {
    let side = store::partners::side(&state.pool, subscriber_id).await?;
    Ok(PartnerSection { linked: side.is_some(), signal: side.is_some_and(|s| s.signal) })
}

/// "Tuesday 3 March at 08:30 (in 6 days)".
fn next_words(t: Tr, at: DateTime<Utc>, now: DateTime<Utc>, zone: TimeZone) -> String {
    let days = (at.with_timezone(&zone.tz()).date_naive() - now.with_timezone(&zone.tz()).date_naive()).num_days();
    format!("{} ({})", t.when(at, zone), t.days_ahead(days.max(0)))
}

/// The counts, and the promises still ahead: their words when the link is
/// fresh and they open, a note otherwise.
async fn promise_record(
    state: &AppState,
    t: Tr,
    subscriber_id: i64,
    now: DateTime<Utc>,
    zone: TimeZone,
    fresh: bool,
) -> Result<PromiseRecord, AppError> {
    let all = store::promises::list(&state.pool, subscriber_id).await?;
    let count = |o: Outcome| all.iter().filter(|p| p.outcome == Some(o)).count();
    let upcoming = all
        .iter()
        .filter(|p| p.due_at > now)
        .map(|p| {
            // On a page opened from an older link, each promise says only
            // "(words hidden)"; the page says once why, and offers a fresh link.
            let shown = match fresh {
                true => words(state, p, true).unwrap_or_else(|note| t.get(note)),
                false => t.get("words-hidden-short"),
            };
            (shown, t.with("promise-due-short", &[("when", t.when(p.due_at, zone).into())]))
        })
        .collect();
    let counts = [
        ("kept", count(Outcome::Kept).into()),
        ("late", count(Outcome::KeptLate).into()),
        ("renegotiated", count(Outcome::Renegotiated).into()),
        ("not_kept", count(Outcome::NotKept).into()),
    ];
    Ok(PromiseRecord { counts: t.with("promise-counts", &counts), upcoming })
}
