//! The inbound listener's counters: replies by outcome, bounces by class,
//! complaints, and what was refused at the door. Part of [`super::Metrics`],
//! so per application like the others; no label names a person.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::domain::bounce::BounceClass;

/// What became of one reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyOutcome {
    /// Recorded as this nudge answer (its `Action` key).
    Done,
    Partly,
    NotYet,
    Snooze,
    PauseTrack,
    /// Recorded as the answer to a promise mail's question.
    Promise,
    /// The mail had an answer already; the first one counts.
    AlreadyAnswered,
    /// No clear answer: nothing recorded (one "which one fits?" mail a day at most).
    Unclear,
    /// An auto-reply: never counted, never answered.
    AutoReply,
    /// From another address than the subscriber's: ignored.
    ForeignSender,
    /// To a bounce address, about a mail that asks nothing, or about a
    /// delivery that is gone: ignored.
    Ignored,
}

impl ReplyOutcome {
    pub const ALL: [ReplyOutcome; 11] = [
        ReplyOutcome::Done,
        ReplyOutcome::Partly,
        ReplyOutcome::NotYet,
        ReplyOutcome::Snooze,
        ReplyOutcome::PauseTrack,
        ReplyOutcome::Promise,
        ReplyOutcome::AlreadyAnswered,
        ReplyOutcome::Unclear,
        ReplyOutcome::AutoReply,
        ReplyOutcome::ForeignSender,
        ReplyOutcome::Ignored,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ReplyOutcome::Done => "done",
            ReplyOutcome::Partly => "partly",
            ReplyOutcome::NotYet => "not_yet",
            ReplyOutcome::Snooze => "snooze",
            ReplyOutcome::PauseTrack => "pause_track",
            ReplyOutcome::Promise => "promise",
            ReplyOutcome::AlreadyAnswered => "already_answered",
            ReplyOutcome::Unclear => "unclear",
            ReplyOutcome::AutoReply => "auto_reply",
            ReplyOutcome::ForeignSender => "foreign_sender",
            ReplyOutcome::Ignored => "ignored",
        }
    }
}

/// Why the listener refused something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// RCPT to an address without a valid, unexpired token: 550.
    BadAddress,
    /// Over `inbound.max_bytes`: 552.
    TooBig,
    /// Over `inbound.max_connections`: 421.
    TooManyConnections,
    /// Past `inbound.session_timeout`: 421.
    TimedOut,
}

impl Refusal {
    pub const ALL: [Refusal; 4] =
        [Refusal::BadAddress, Refusal::TooBig, Refusal::TooManyConnections, Refusal::TimedOut];

    pub fn label(self) -> &'static str {
        match self {
            Refusal::BadAddress => "bad_address",
            Refusal::TooBig => "too_big",
            Refusal::TooManyConnections => "too_many_connections",
            Refusal::TimedOut => "timed_out",
        }
    }
}

const CLASSES: [BounceClass; 2] = [BounceClass::Permanent, BounceClass::Transient];

#[derive(Debug, Default)]
pub struct InboundCounters {
    replies: [AtomicU64; ReplyOutcome::ALL.len()],
    bounces: [AtomicU64; CLASSES.len()],
    complaints: AtomicU64,
    refused: [AtomicU64; Refusal::ALL.len()],
}

impl InboundCounters {
    pub fn reply(&self, outcome: ReplyOutcome) {
        self.replies[outcome as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub fn replies(&self, outcome: ReplyOutcome) -> u64 {
        self.replies[outcome as usize].load(Ordering::Relaxed)
    }

    pub fn bounce(&self, class: BounceClass) {
        self.bounces[class as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub fn bounces(&self, class: BounceClass) -> u64 {
        self.bounces[class as usize].load(Ordering::Relaxed)
    }

    pub fn complaint(&self) {
        self.complaints.fetch_add(1, Ordering::Relaxed);
    }

    pub fn complaints(&self) -> u64 {
        self.complaints.load(Ordering::Relaxed)
    }

    pub fn refuse(&self, refusal: Refusal) {
        self.refused[refusal as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub fn refused(&self, refusal: Refusal) -> u64 {
        self.refused[refusal as usize].load(Ordering::Relaxed)
    }

    pub(super) fn render(&self, out: &mut String) {
        out.push_str("# HELP tend_inbound_replies_total Replies received, by what became of them, since start.\n");
        out.push_str("# TYPE tend_inbound_replies_total counter\n");
        for outcome in ReplyOutcome::ALL {
            let (label, n) = (outcome.label(), self.replies(outcome));
            let _ = writeln!(out, "tend_inbound_replies_total{{outcome=\"{label}\"}} {n}");
        }
        out.push_str("# HELP tend_inbound_bounces_total Delivery status notifications, by class, since start.\n");
        out.push_str("# TYPE tend_inbound_bounces_total counter\n");
        for class in CLASSES {
            let _ = writeln!(out, "tend_inbound_bounces_total{{class=\"{}\"}} {}", class.label(), self.bounces(class));
        }
        out.push_str("# HELP tend_inbound_complaints_total Feedback reports (spam complaints), since start.\n");
        out.push_str("# TYPE tend_inbound_complaints_total counter\n");
        let _ = writeln!(out, "tend_inbound_complaints_total {}", self.complaints());
        out.push_str("# HELP tend_inbound_refused_total What the inbound listener refused, by reason, since start.\n");
        out.push_str("# TYPE tend_inbound_refused_total counter\n");
        for refusal in Refusal::ALL {
            let (label, n) = (refusal.label(), self.refused(refusal));
            let _ = writeln!(out, "tend_inbound_refused_total{{reason=\"{label}\"}} {n}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_follow_the_lists() {
        for (i, outcome) in ReplyOutcome::ALL.into_iter().enumerate() {
            assert_eq!(outcome as usize, i, "{outcome:?}");
        }
        for (i, class) in CLASSES.into_iter().enumerate() {
            assert_eq!(class as usize, i, "{class:?}");
        }
        for (i, refusal) in Refusal::ALL.into_iter().enumerate() {
            assert_eq!(refusal as usize, i, "{refusal:?}");
        }
    }
}
