//! A timeline chart of a simulation: one row per track, one mark per nudge,
//! coloured by the answer. Plain SVG, no scripts, readable without colour
//! (every mark has a title, and the legend names the colours).

use std::fmt::Write;

use chrono::{Datelike, Duration, NaiveDate};

use super::{Answer, Happening, Scenario};

const LEFT: i64 = 150;
const DAY: i64 = 7;
const ROW: i64 = 34;
const TOP: i64 = 40;

fn colour(answer: Answer) -> &'static str {
    match answer {
        Answer::Done => "#3f6b5a",
        Answer::Partly => "#c9a227",
        Answer::NotYet => "#7a8fb8",
        Answer::Snooze => "#b58bb5",
        Answer::None => "#ffffff",
    }
}

pub fn render(scenario: &Scenario, happenings: &[Happening], title: &str) -> String {
    let days = i64::from(scenario.days);
    let width = LEFT + days * DAY + 30;
    let height = TOP + ROW * scenario.tracks.len() as i64 + 70;
    let day_of =
        |at: chrono::DateTime<chrono::Utc>| -> i64 { (scenario.slots.local_date(at) - scenario.start).num_days() };
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"Arial, sans-serif\" font-size=\"12\">\n\
         <title>{}</title>\n<rect width=\"100%\" height=\"100%\" fill=\"#f6f3ee\"/>\n\
         <text x=\"10\" y=\"22\" font-size=\"15\" fill=\"#2d2a26\">{}</text>\n",
        escape(title),
        escape(title)
    );
    month_ticks(&mut svg, scenario.start, days, height);
    for (row, track) in scenario.tracks.iter().enumerate() {
        let y = TOP + ROW * row as i64 + ROW / 2;
        let _ = writeln!(svg, "<text x=\"10\" y=\"{}\" fill=\"#2d2a26\">{}</text>", y + 4, track.key());
        let _ = writeln!(
            svg,
            "<line x1=\"{LEFT}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"#ddd6cc\"/>",
            LEFT + days * DAY
        );
        for h in happenings {
            if let Happening::Nudge { at, track: t, answer, variant } = h
                && t == track
            {
                let x = LEFT + day_of(*at) * DAY + DAY / 2;
                let _ = writeln!(
                    svg,
                    "<circle cx=\"{x}\" cy=\"{y}\" r=\"5\" fill=\"{}\" stroke=\"#2d2a26\" stroke-width=\"0.8\"><title>{} {} {}</title></circle>",
                    colour(*answer),
                    scenario.slots.local_date(*at),
                    escape(variant),
                    answer.key()
                );
            }
        }
    }
    for h in happenings {
        if let Happening::KeepGoing { at } = h {
            let x = LEFT + day_of(*at) * DAY + DAY / 2;
            let bottom = TOP + ROW * scenario.tracks.len() as i64;
            let _ = writeln!(
                svg,
                "<line x1=\"{x}\" y1=\"{TOP}\" x2=\"{x}\" y2=\"{bottom}\" stroke=\"#a33\" stroke-dasharray=\"4 3\"/><text x=\"{}\" y=\"{}\" fill=\"#a33\">keep going?</text>",
                x + 4,
                TOP + 10
            );
        }
    }
    legend(&mut svg, height - 22);
    svg.push_str("</svg>\n");
    svg
}

fn month_ticks(svg: &mut String, start: NaiveDate, days: i64, height: i64) {
    for d in 0..days {
        let date = start + Duration::days(d);
        if date.day() == 1 || d == 0 {
            let x = LEFT + d * DAY;
            let _ = writeln!(
                svg,
                "<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\" stroke=\"#e8e2d8\"/><text x=\"{}\" y=\"{}\" fill=\"#6b645b\">{}</text>",
                TOP - 6,
                height - 40,
                x + 2,
                height - 44,
                date.format("%b %-d")
            );
        }
    }
}

fn legend(svg: &mut String, y: i64) {
    let mut x = 10;
    for answer in [Answer::Done, Answer::Partly, Answer::NotYet, Answer::Snooze, Answer::None] {
        let label = match answer {
            Answer::Done => "done",
            Answer::Partly => "partly",
            Answer::NotYet => "not yet",
            Answer::Snooze => "remind me tomorrow",
            Answer::None => "no answer",
        };
        let _ = writeln!(
            svg,
            "<circle cx=\"{}\" cy=\"{y}\" r=\"5\" fill=\"{}\" stroke=\"#2d2a26\" stroke-width=\"0.8\"/><text x=\"{}\" y=\"{}\" fill=\"#2d2a26\">{label}</text>",
            x + 5,
            colour(answer),
            x + 14,
            y + 4
        );
        x += 30 + 7 * label.len() as i64;
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
