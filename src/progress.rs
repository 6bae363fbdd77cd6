//! Progress: a subscriber's own picture of the journey, as calendar heatmaps
//! (one cell a day, coloured by that day's answer) with a text summary beside
//! each, and the warm sentences of the weekly summary. Pure: the caller
//! passes the answers, "today" and the reader's words; the output is SVG
//! and text.

use std::collections::HashMap;
use std::fmt::Write;

use chrono::{Datelike, Duration, NaiveDate};

use crate::domain::{Action, DayAnswer, Track};
use crate::i18n::Tr;

/// Twelve weeks, one column a week, Monday at the top.
pub const WEEKS: i64 = 12;
const CELL: i64 = 13;

fn colour(action: Option<Action>) -> &'static str {
    match action {
        Some(Action::Done) => "#3f6b5a",
        Some(Action::Partly) => "#c9a227",
        Some(Action::NotYet) => "#7a8fb8",
        Some(Action::Snooze) => "#b58bb5",
        Some(Action::PauseTrack) => "#bdb4a8",
        None => "#ebe5dc",
    }
}

/// Counts of one track's answers over the heatmap's window.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub done: usize,
    pub partly: usize,
    pub not_yet: usize,
}

pub fn tally(answers: &[DayAnswer], track: Track, today: NaiveDate) -> Tally {
    let first = first_day(today);
    let mut t = Tally::default();
    for a in answers.iter().filter(|a| a.track == track && a.date >= first && a.date <= today) {
        match a.action {
            Action::Done => t.done += 1,
            Action::Partly => t.partly += 1,
            Action::NotYet => t.not_yet += 1,
            Action::Snooze | Action::PauseTrack => {}
        }
    }
    t
}

/// The text that stands beside a heatmap (and is its accessible name).
pub fn summary_text(words: Tr, track: Track, t: Tally) -> String {
    let (track, weeks) = (("track", words.track(track).into()), ("weeks", WEEKS.into()));
    if t.done + t.partly + t.not_yet == 0 {
        return words.with("progress-none", &[track, weeks]);
    }
    let counts = [("done", t.done.into()), ("partly", t.partly.into()), ("not_yet", t.not_yet.into())];
    words.with("progress-summary", &[&[track, weeks][..], &counts].concat())
}

fn first_day(today: NaiveDate) -> NaiveDate {
    let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    monday - Duration::weeks(WEEKS - 1)
}

/// A 12-week calendar heatmap of one track. The last answer of a day wins.
pub fn heatmap(words: Tr, answers: &[DayAnswer], track: Track, today: NaiveDate) -> String {
    let first = first_day(today);
    let by_day: HashMap<NaiveDate, Action> =
        answers.iter().filter(|a| a.track == track).map(|a| (a.date, a.action)).collect();
    let summary = summary_text(words, track, tally(answers, track, today));
    let (width, height) = (WEEKS * CELL + 2, 7 * CELL + 2);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{}\">",
        escape(&summary)
    );
    for offset in 0..(WEEKS * 7) {
        let date = first + Duration::days(offset);
        if date > today {
            break;
        }
        let (x, y) = (1 + (offset / 7) * CELL, 1 + (offset % 7) * CELL);
        let action = by_day.get(&date).copied();
        let label = escape(&action.map_or_else(|| words.get("no-answer"), |a| words.action(a)));
        let _ = write!(
            svg,
            "<rect x=\"{x}\" y=\"{y}\" width=\"{}\" height=\"{}\" rx=\"2\" fill=\"{}\"><title>{date}: {label}</title></rect>",
            CELL - 2,
            CELL - 2,
            colour(action)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The weekly summary's details: one line per track that had good news and
/// one for promises kept or renegotiated early. What was missed is never
/// mentioned; a week without good news gives no lines.
pub fn weekly_details(words: Tr, answers: &[DayAnswer], kept: usize, renegotiated: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for track in Track::ALL {
        let done = answers.iter().filter(|a| a.track == track && a.action == Action::Done).count();
        let partly = answers.iter().filter(|a| a.track == track && a.action == Action::Partly).count();
        let args = [("track", words.track(track).into()), ("done", done.into()), ("partly", partly.into())];
        match (done, partly) {
            (0, 0) => continue,
            (_, 0) => lines.push(words.with("week-track-done", &args)),
            _ => lines.push(words.with("week-track-done-partly", &args)),
        }
    }
    let args = [("kept", kept.into()), ("renegotiated", renegotiated.into())];
    match (kept, renegotiated) {
        (0, 0) => {}
        (_, 0) => lines.push(words.with("week-promises", &args)),
        _ => lines.push(words.with("week-promises-renegotiated", &args)),
    }
    lines
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Locale;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_heatmap_has_a_cell_per_day_and_a_text_name() {
        let answers = [
            DayAnswer { date: d("2026-03-02"), track: Track::CheckIn, action: Action::Done },
            DayAnswer { date: d("2026-03-04"), track: Track::CheckIn, action: Action::NotYet },
            DayAnswer { date: d("2026-03-04"), track: Track::Support, action: Action::Done },
        ];
        let svg = heatmap(crate::i18n::tr(&Locale::en()), &answers, Track::CheckIn, d("2026-03-05"));
        // 11 full weeks plus Monday to Thursday of this one.
        assert_eq!(svg.matches("<rect").count(), 11 * 7 + 4);
        assert!(svg.contains("2026-03-02: Done") && svg.contains("2026-03-04: Not yet"));
        assert!(
            svg.contains("aria-label=\"Open, honest talk: in the last 12 weeks, 1 done, 0 partly, 1 not yet.\""),
            "{}",
            &svg[..300]
        );
    }

    #[test]
    fn weekly_details_count_what_went_well_and_never_what_was_missed() {
        let answers = [
            DayAnswer { date: d("2026-03-02"), track: Track::CheckIn, action: Action::Done },
            DayAnswer { date: d("2026-03-03"), track: Track::CheckIn, action: Action::Done },
            DayAnswer { date: d("2026-03-04"), track: Track::CheckIn, action: Action::Done },
            DayAnswer { date: d("2026-03-05"), track: Track::FollowThrough, action: Action::NotYet },
        ];
        let en = crate::i18n::tr(&Locale::en());
        let lines = weekly_details(en, &answers, 1, 1).join(" ");
        assert!(lines.contains("Open, honest talk: three done."), "{lines}");
        assert!(lines.contains("one kept, one renegotiated early"), "{lines}");
        assert!(!lines.to_lowercase().contains("miss") && !lines.contains("not yet"));
        assert!(weekly_details(en, &[], 0, 0).is_empty());
    }
}
