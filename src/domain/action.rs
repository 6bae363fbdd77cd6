//! `Action`: what a subscriber can answer to a nudge.

use std::fmt;

use chrono::NaiveDate;

use super::Track;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Done,
    Partly,
    NotYet,
    /// "Remind me tomorrow": the same nudge again at a later slot.
    Snooze,
    /// Stop this track until the subscriber turns it back on.
    PauseTrack,
}

/// One answer, on the local day it was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayAnswer {
    pub date: NaiveDate,
    pub track: Track,
    pub action: Action,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown answer {0:?}: use done, partly, not_yet, snooze or pause_track")]
pub struct ActionError(pub String);

impl Action {
    pub const ALL: [Action; 5] = [Action::Done, Action::Partly, Action::NotYet, Action::Snooze, Action::PauseTrack];

    pub fn parse(input: &str) -> Result<Self, ActionError> {
        let key = input.trim();
        Self::ALL.into_iter().find(|a| a.key() == key).ok_or_else(|| ActionError(key.chars().take(40).collect()))
    }

    pub fn key(self) -> &'static str {
        match self {
            Action::Done => "done",
            Action::Partly => "partly",
            Action::NotYet => "not_yet",
            Action::Snooze => "snooze",
            Action::PauseTrack => "pause_track",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_unknown_is_named() {
        for action in Action::ALL {
            assert_eq!(Action::parse(action.key()), Ok(action));
        }
        assert_eq!(Action::parse("delete").unwrap_err().0, "delete");
    }
}
