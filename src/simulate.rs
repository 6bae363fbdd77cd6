//! Simulation: what a subscriber would receive, computed without a database.
//!
//! `tend simulate` and the property tests use this to show and check the
//! whole rhythm (planning, the engine, expiry, rest) over months. It composes
//! the same pure pieces the service uses: `domain::schedule` for planning,
//! `domain::engine` for answers and misses, the catalog's variant rotation.
//! Planning happens at each local day's slot, the moments the real planner
//! would find something due; an answer arrives an hour after its nudge.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::domain::engine::{self, Event, TrackState};
use crate::domain::schedule::{Decision, DueTrack, PlanLimits, plan_due_tracks};
use crate::domain::{Locale, Slots, Track};
use crate::mail::Catalog;

pub mod svg;

/// One simulated answer; `None` is no answer at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Done,
    Partly,
    NotYet,
    Snooze,
    None,
}

impl Answer {
    pub fn parse(token: &str) -> Result<Self, String> {
        Ok(match token.trim() {
            "done" => Answer::Done,
            "partly" => Answer::Partly,
            "not_yet" => Answer::NotYet,
            "snooze" => Answer::Snooze,
            "none" => Answer::None,
            other => {
                return Err(format!(
                    "unknown answer {other:?} in the pattern: use done, partly, not_yet, snooze or none"
                ));
            }
        })
    }

    pub fn key(self) -> &'static str {
        match self {
            Answer::Done => "done",
            Answer::Partly => "partly",
            Answer::NotYet => "not_yet",
            Answer::Snooze => "snooze",
            Answer::None => "none",
        }
    }

    fn event(self) -> Option<Event> {
        match self {
            Answer::Done => Some(Event::Done),
            Answer::Partly => Some(Event::Partly),
            Answer::NotYet => Some(Event::NotYet),
            Answer::Snooze => Some(Event::Snooze),
            Answer::None => None,
        }
    }
}

/// Parses `done,done,not_yet,none` or a persona name into a pattern that
/// repeats for as long as the simulation runs.
pub fn pattern(answers: Option<&str>, persona: Option<&str>) -> Result<Vec<Answer>, String> {
    match (answers, persona) {
        (Some(list), None) => {
            let parsed = list.split(',').map(Answer::parse).collect::<Result<Vec<_>, _>>()?;
            if parsed.is_empty() { Err("the answer pattern is empty".into()) } else { Ok(parsed) }
        }
        (None, Some("steady")) => Ok(vec![Answer::Done]),
        (None, Some("struggling")) => Ok(vec![
            Answer::NotYet,
            Answer::Partly,
            Answer::Done,
            Answer::NotYet,
            Answer::None,
            Answer::Partly,
            Answer::Done,
            Answer::Snooze,
        ]),
        (None, Some("silent")) => Ok(vec![Answer::None]),
        (None, Some(other)) => Err(format!("unknown persona {other:?}: use steady, struggling or silent")),
        _ => Err("give either --answers or --persona".into()),
    }
}

#[derive(Debug, Clone)]
pub struct Scenario {
    pub tracks: Vec<Track>,
    pub slots: Slots,
    pub max_per_day: u32,
    pub stale_after: Duration,
    /// The day the subscriber confirms (the first slot is the next one).
    pub start: NaiveDate,
    pub days: u32,
    pub answers: Vec<Answer>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Happening {
    Nudge { at: DateTime<Utc>, track: Track, variant: String, answer: Answer },
    KeepGoing { at: DateTime<Utc> },
}

impl Happening {
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            Happening::Nudge { at, .. } | Happening::KeepGoing { at } => *at,
        }
    }
}

struct Habit {
    track: Track,
    state: TrackState,
    next_due: DateTime<Utc>,
    last_variant: Option<String>,
    repeat_variant: Option<String>,
    seen: HashMap<String, DateTime<Utc>>,
}

struct Waiting {
    track: Track,
    slot: DateTime<Utc>,
    answer_by: DateTime<Utc>,
}

/// Everything a subscriber following `scenario` receives, in order.
pub fn simulate(scenario: &Scenario, catalog: &Catalog) -> Vec<Happening> {
    let slots = scenario.slots;
    let confirmed_at = slots.on(scenario.start) - Duration::minutes(1);
    let first = slots.first_after(confirmed_at);
    let mut habits: Vec<Habit> = scenario
        .tracks
        .iter()
        .map(|&track| Habit {
            track,
            state: TrackState::new(track),
            next_due: first,
            last_variant: None,
            repeat_variant: None,
            seen: HashMap::new(),
        })
        .collect();
    let limits = PlanLimits { max_per_day: scenario.max_per_day, stale_after: scenario.stale_after };
    let mut answers = scenario.answers.iter().copied().cycle();
    let (mut happenings, mut planned, mut waiting) = (Vec::new(), Vec::new(), Vec::<Waiting>::new());
    let mut misses = 0;
    for day in 0..i64::from(scenario.days) {
        let now = slots.on(scenario.start + Duration::days(day));
        // Expiry first, as in the planner's tick.
        let (expired, still): (Vec<_>, Vec<_>) = waiting.into_iter().partition(|w| w.answer_by <= now);
        waiting = still;
        for w in expired {
            let habit = habits.iter_mut().find(|h| h.track == w.track).expect("known track");
            habit.state = engine::step(w.track, &habit.state, Event::Expired, w.slot, now, &slots).state;
            misses += 1;
            if engine::should_rest(misses) {
                happenings.push(Happening::KeepGoing { at: now });
                return happenings;
            }
        }
        let due = habits
            .iter()
            .filter(|h| h.next_due <= now)
            .map(|h| DueTrack { track: h.track, due_at: h.next_due, interval_days: h.state.interval_days })
            .collect();
        for decision in plan_due_tracks(&slots, limits, &planned, due, now) {
            let habit = habits.iter_mut().find(|h| h.track == decision.track()).expect("known track");
            habit.next_due = decision.next_due();
            let Decision::Send { slot, next_due, .. } = decision else { continue };
            let variant = match habit.repeat_variant.take() {
                Some(v) => v,
                None => {
                    let seen = habit.seen.iter().map(|(k, v)| (k.as_str(), *v)).collect();
                    let locale = Locale::en();
                    catalog
                        .least_recent_variant(&locale, habit.track, &seen, habit.last_variant.as_deref())
                        .variant
                        .clone()
                }
            };
            habit.seen.insert(variant.clone(), slot);
            habit.last_variant = Some(variant.clone());
            planned.push(slot);
            let answer = answers.next().unwrap_or(Answer::None);
            happenings.push(Happening::Nudge { at: slot, track: habit.track, variant: variant.clone(), answer });
            match answer.event() {
                Some(event) => {
                    misses = 0;
                    let step = engine::step(habit.track, &habit.state, event, slot, slot + Duration::hours(1), &slots);
                    habit.state = step.state;
                    habit.next_due = step.next_due;
                    if event == Event::Snooze {
                        habit.repeat_variant = Some(variant);
                    }
                }
                None => waiting.push(Waiting { track: habit.track, slot, answer_by: next_due }),
            }
        }
    }
    happenings
}

/// One line per happening: local date and time first.
pub fn describe(happening: &Happening, slots: &Slots) -> String {
    let local = happening.at().with_timezone(&slots.zone.tz()).format("%Y-%m-%d %H:%M");
    match happening {
        Happening::Nudge { track, variant, answer, .. } => {
            format!("{local}  {:<15} {:<28} {}", track.key(), variant, answer.key())
        }
        Happening::KeepGoing { .. } => format!("{local}  {:<15} {:<28} -", "keep-going", "shall-we-keep-going"),
    }
}

#[cfg(test)]
mod tests;
