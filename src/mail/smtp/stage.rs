//! How far one send got, and what a failure at that point means: the
//! difference between "nothing was delivered, retry" and "the relay may
//! have it, outcome unknown".

use std::sync::atomic::{AtomicU8, Ordering};

use crate::domain::redact_addresses;
use crate::mail::SendOutcome;

/// How far one send got; decides between "retry" and "outcome unknown".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Stage {
    WaitingForConnection = 0,
    Connecting = 1,
    Envelope = 2,
    Data = 3,
    /// The message and its end of data were handed to the kernel (see
    /// `watch`). From here a lost reply means the relay may have it.
    EndOfData = 4,
}

impl Stage {
    fn from_u8(value: u8) -> Stage {
        match value {
            0 => Stage::WaitingForConnection,
            1 => Stage::Connecting,
            2 => Stage::Envelope,
            3 => Stage::Data,
            _ => Stage::EndOfData,
        }
    }
}

/// The stage of one send, shared with the code that times it out.
#[derive(Debug)]
pub(super) struct Progress(AtomicU8);

impl Progress {
    pub(super) fn at(stage: Stage) -> Self {
        Progress(AtomicU8::new(stage as u8))
    }

    pub(super) fn set(&self, stage: Stage) {
        self.0.store(stage as u8, Ordering::SeqCst);
    }

    pub(super) fn get(&self) -> Stage {
        Stage::from_u8(self.0.load(Ordering::SeqCst))
    }
}

/// A failed step: the stage it failed in and the relay's reply code, if any.
/// The reason is the relay's words with every address redacted: they are
/// logged and kept on the delivery row, and relays echo the recipient.
pub(super) struct Failure {
    pub(super) stage: Stage,
    pub(super) code: Option<u16>,
    pub(super) reason: String,
}

impl Failure {
    pub(super) fn at(stage: Stage) -> impl Fn(lettre::transport::smtp::Error) -> Failure {
        move |error| Failure {
            stage,
            code: error.status().map(u16::from),
            reason: redact_addresses(&error.to_string()),
        }
    }
}

/// While the session is being set up, every failure is transient and keeps
/// no code, whatever the relay answered: it is about the session, not this
/// message, so it must not use up attempts. After that a reply code decides
/// when there is one. Without one: before the end of data nothing was
/// delivered, so retry; from the end of data on, the relay may have it.
pub(super) fn classify(failure: &Failure) -> SendOutcome {
    let reason = failure.reason.clone();
    if failure.stage == Stage::Connecting {
        return SendOutcome::Transient { code: None, reason: format!("Connecting: {reason}") };
    }
    match failure.code {
        Some(code) if (500..600).contains(&code) => SendOutcome::Permanent { code, reason },
        Some(code) if (400..500).contains(&code) => SendOutcome::Transient { code: Some(code), reason },
        _ if failure.stage == Stage::EndOfData => {
            SendOutcome::Unknown { reason: format!("connection lost after the end of data: {reason}") }
        }
        _ => SendOutcome::Transient { code: None, reason: format!("{:?}: {reason}", failure.stage) },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(stage: Stage, code: Option<u16>) -> Failure {
        Failure { stage, code, reason: "r".into() }
    }

    #[test]
    fn a_refusal_while_setting_up_the_session_never_fails_the_message() {
        // 535 to AUTH, 554 as a greeting: the session's problem, not the message's.
        for code in [Some(535), Some(554), Some(421), None] {
            assert!(matches!(classify(&failure(Stage::Connecting, code)), SendOutcome::Transient { code: None, .. }));
        }
        assert!(matches!(classify(&failure(Stage::Envelope, Some(550))), SendOutcome::Permanent { code: 550, .. }));
        assert!(matches!(
            classify(&failure(Stage::Envelope, Some(451))),
            SendOutcome::Transient { code: Some(451), .. }
        ));
        assert!(matches!(classify(&failure(Stage::EndOfData, None)), SendOutcome::Unknown { .. }));
    }
}
