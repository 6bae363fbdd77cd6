//! `tend simulate`: what a subscriber would receive over the coming days,
//! printed one line per mail and optionally drawn as an SVG timeline.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use chrono::{NaiveDate, Utc};
use clap::Args;

use super::UsageError;
use crate::config::Settings;
use crate::domain::slots::jitter_for;
use crate::domain::{Slots, TimeOfDay, TimeZone, Track};
use crate::mail::Catalog;
use crate::simulate::{self, Scenario};

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// A track key; repeat for several, or `all`.
    #[arg(long = "track", required = true)]
    tracks: Vec<String>,
    /// Answers in order, repeated as needed: done, partly, not_yet, snooze, none.
    #[arg(long, conflicts_with = "persona")]
    answers: Option<String>,
    /// A named pattern: steady, struggling or silent.
    #[arg(long)]
    persona: Option<String>,
    #[arg(long, default_value_t = 90)]
    days: u32,
    /// Also draw the timeline as an SVG file.
    #[arg(long)]
    svg: Option<PathBuf>,
    #[arg(long, default_value = "UTC")]
    timezone: String,
    #[arg(long, default_value = "08:30")]
    time: String,
    #[arg(long, default_value_t = 1)]
    max_per_day: u32,
    /// First day (YYYY-MM-DD); default today.
    #[arg(long)]
    start: Option<String>,
}

pub fn run(settings: &Settings, args: SimulateArgs) -> anyhow::Result<()> {
    let usage = |e: &dyn std::fmt::Display| UsageError(e.to_string());
    let tracks = parse_tracks(&args.tracks).map_err(|e| usage(&e))?;
    let answers = simulate::pattern(args.answers.as_deref(), args.persona.as_deref()).map_err(|e| usage(&e))?;
    let zone = TimeZone::parse(&args.timezone).map_err(|e| usage(&e))?;
    let time = TimeOfDay::parse(&args.time).map_err(|e| usage(&e))?;
    if !(1..=5).contains(&args.max_per_day) || !(1..=3660).contains(&args.days) {
        return Err(usage(&"--max-per-day takes 1 to 5 and --days 1 to 3660").into());
    }
    let start = match &args.start {
        Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|_| usage(&format!("--start {text:?} is not a date such as 2027-01-31")))?,
        None => Utc::now().date_naive(),
    };
    let catalog = Catalog::load(&settings.catalog.path).map_err(|e| usage(&format!("{e:#}")))?;
    let scenario = Scenario {
        tracks,
        slots: Slots { zone, time, jitter: jitter_for(1, settings.schedule.jitter.as_chrono()) },
        max_per_day: args.max_per_day,
        stale_after: settings.schedule.stale_after.as_chrono(),
        start,
        days: args.days,
        answers,
    };
    let happenings = simulate::simulate(&scenario, &catalog);
    eprintln!("{} mails in {} days ({}, {} at {})", happenings.len(), args.days, start, zone, time);
    let mut out = std::io::stdout().lock();
    for happening in &happenings {
        // A closed pipe (`| head`) just ends the listing.
        if writeln!(out, "{}", simulate::describe(happening, &scenario.slots)).is_err() {
            break;
        }
    }
    if let Some(path) = args.svg {
        let who =
            args.persona.as_deref().map_or_else(|| "answers as given".to_owned(), |p| format!("a {p} subscriber"));
        let title = format!("{} days of nudges for {who}", args.days);
        std::fs::write(&path, simulate::svg::render(&scenario, &happenings, &title))
            .with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("timeline written to {}", path.display());
    }
    Ok(())
}

fn parse_tracks(keys: &[String]) -> Result<Vec<Track>, String> {
    if keys.iter().any(|k| k == "all") {
        return Ok(Track::ALL.to_vec());
    }
    let mut tracks = keys.iter().map(|k| Track::parse(k).map_err(|e| e.to_string())).collect::<Result<Vec<_>, _>>()?;
    tracks.sort();
    tracks.dedup();
    Ok(tracks)
}
