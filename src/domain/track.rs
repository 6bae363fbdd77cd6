//! `Track`: the six rebuild steps, as habits, and the four tracks for the
//! partner who is trying to trust again.
//!
//! The set is closed on purpose: every track has a starting interval and a
//! default, and the catalog, the store and the pages all key on these names.
//! [`Track::is_for_partner`] tells the two groups apart (the forms show them
//! separately; an invitation preselects the partner's).

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Track {
    CheckIn,
    FollowThrough,
    Transparency,
    Patience,
    Responsibility,
    Support,
    /// For the partner trying to trust again: naming one thing that would help.
    SayWhatHelps,
    /// For the partner: letting themselves see one thing the other did.
    NoticeEffort,
    /// For the partner: it is fine not to be ready.
    OwnPace,
    /// For the partner: counselling, a friend, their own history.
    OwnSupport,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown track {0:?}: choose from check-in, follow-through, transparency, patience, responsibility, support, \
     say-what-helps, notice-effort, own-pace, own-support"
)]
pub struct TrackError(pub String);

impl Track {
    /// Catalog order; also the tie-break when several tracks are equally due.
    pub const ALL: [Track; 10] = [
        Track::CheckIn,
        Track::FollowThrough,
        Track::Transparency,
        Track::Patience,
        Track::Responsibility,
        Track::Support,
        Track::SayWhatHelps,
        Track::NoticeEffort,
        Track::OwnPace,
        Track::OwnSupport,
    ];

    /// The byte an answer link carries ([`super::nudge_link`]). Part of every
    /// link ever sent: never renumber.
    pub fn code(self) -> u8 {
        match self {
            Track::CheckIn => 1,
            Track::FollowThrough => 2,
            Track::Transparency => 3,
            Track::Patience => 4,
            Track::Responsibility => 5,
            Track::Support => 6,
            Track::SayWhatHelps => 7,
            Track::NoticeEffort => 8,
            Track::OwnPace => 9,
            Track::OwnSupport => 10,
        }
    }

    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.code() == code)
    }

    pub fn parse(input: &str) -> Result<Self, TrackError> {
        let key = input.trim();
        Self::ALL.into_iter().find(|t| t.key() == key).ok_or_else(|| TrackError(key.chars().take(40).collect()))
    }

    pub fn key(self) -> &'static str {
        match self {
            Track::CheckIn => "check-in",
            Track::FollowThrough => "follow-through",
            Track::Transparency => "transparency",
            Track::Patience => "patience",
            Track::Responsibility => "responsibility",
            Track::Support => "support",
            Track::SayWhatHelps => "say-what-helps",
            Track::NoticeEffort => "notice-effort",
            Track::OwnPace => "own-pace",
            Track::OwnSupport => "own-support",
        }
    }

    /// Whether the track is for the partner who is trying to trust again
    /// (the forms list these in a group of their own).
    pub fn is_for_partner(self) -> bool {
        match self {
            Track::CheckIn
            | Track::FollowThrough
            | Track::Transparency
            | Track::Patience
            | Track::Responsibility
            | Track::Support => false,
            Track::SayWhatHelps | Track::NoticeEffort | Track::OwnPace | Track::OwnSupport => true,
        }
    }

    /// The partner's tracks, which an invitation's subscribe page preselects.
    pub fn partner_defaults() -> TrackSet {
        TrackSet::from_iter(Self::ALL.into_iter().filter(|t| t.is_for_partner()))
    }

    pub fn on_by_default(self) -> bool {
        matches!(self, Track::CheckIn | Track::FollowThrough | Track::Transparency)
    }

    /// Days between nudges before any answer has steered the spacing.
    pub fn starting_interval_days(self) -> u32 {
        match self {
            Track::CheckIn => 3,
            Track::FollowThrough | Track::Transparency => 1,
            Track::Patience => 4,
            Track::Responsibility => 7,
            Track::Support | Track::OwnSupport => 14,
            Track::SayWhatHelps => 3,
            Track::NoticeEffort => 2,
            Track::OwnPace => 5,
        }
    }

    pub fn defaults() -> TrackSet {
        TrackSet::from_iter(Self::ALL.into_iter().filter(|t| t.on_by_default()))
    }
}

impl fmt::Display for Track {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// A non-empty, duplicate-free set of tracks in catalog order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackSet(Vec<Track>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrackSetError {
    #[error(transparent)]
    Unknown(#[from] TrackError),
    #[error("choose at least one track")]
    Empty,
}

impl TrackSet {
    /// Parses keys; an empty list is an error because a subscription with no
    /// track would never send anything and only confuse its owner.
    pub fn parse<'a>(keys: impl IntoIterator<Item = &'a str>) -> Result<Self, TrackSetError> {
        let tracks =
            keys.into_iter().filter(|k| !k.trim().is_empty()).map(Track::parse).collect::<Result<Vec<_>, _>>()?;
        if tracks.is_empty() {
            return Err(TrackSetError::Empty);
        }
        Ok(Self::from_iter(tracks))
    }

    pub fn contains(&self, track: Track) -> bool {
        self.0.contains(&track)
    }

    pub fn iter(&self) -> impl Iterator<Item = Track> + '_ {
        self.0.iter().copied()
    }

    pub fn keys(&self) -> Vec<String> {
        self.0.iter().map(|t| t.key().to_owned()).collect()
    }
}

impl FromIterator<Track> for TrackSet {
    fn from_iter<I: IntoIterator<Item = Track>>(iter: I) -> Self {
        let mut tracks: Vec<Track> = iter.into_iter().collect();
        tracks.sort();
        tracks.dedup();
        Self(tracks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_round_trips() {
        for track in Track::ALL {
            assert_eq!(Track::parse(track.key()), Ok(track));
        }
    }

    #[test]
    fn three_tracks_are_on_by_default() {
        assert_eq!(Track::defaults().keys(), ["check-in", "follow-through", "transparency"]);
    }

    #[test]
    fn sets_are_sorted_deduplicated_and_never_empty() {
        let set = TrackSet::parse(["support", "check-in", "support"]).unwrap();
        assert_eq!(set.keys(), ["check-in", "support"]);
        assert_eq!(TrackSet::parse([]), Err(TrackSetError::Empty));
        assert_eq!(TrackSet::parse(["", " "]), Err(TrackSetError::Empty));
        assert!(matches!(TrackSet::parse(["gardening"]), Err(TrackSetError::Unknown(_))));
    }
}
