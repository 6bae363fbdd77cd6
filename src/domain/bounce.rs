//! What a delivery status notification (RFC 3464) or a feedback report
//! (RFC 5965, ARF) says about a delivery, once `crate::inbound` has read
//! its fields.
//!
//! A DSN lists each recipient's `Action` and `Status`. A failure with a
//! `5.x.x` status is permanent: the address is suppressed, as when the
//! relay answers `5.1.x` at RCPT. A `4.x.x` status, or `Action: delayed`,
//! is transient and only counted. Success notices (`delivered`, `relayed`,
//! `expanded`) say nothing. A feedback report of type `abuse`, `fraud` or
//! `other` is a complaint: the person marked tend's mail as spam.

/// How a DSN classes a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BounceClass {
    /// `5.x.x`: the address will never take this mail.
    Permanent,
    /// `4.x.x` or a delay: it may yet arrive.
    Transient,
}

impl BounceClass {
    pub fn label(self) -> &'static str {
        match self {
            BounceClass::Permanent => "permanent",
            BounceClass::Transient => "transient",
        }
    }
}

/// One per-recipient block of a DSN, as written.
#[derive(Debug, Clone, Copy, Default)]
pub struct RecipientStatus<'a> {
    pub action: Option<&'a str>,
    pub status: Option<&'a str>,
}

/// The worst class among the recipients, and the status that made it
/// (`5.1.1`), or `None` when the DSN reports no failure or delay.
pub fn classify(recipients: &[RecipientStatus<'_>]) -> Option<(BounceClass, String)> {
    let classed = recipients.iter().filter_map(|r| {
        let action = r.action.map(|a| a.trim().to_ascii_lowercase()).unwrap_or_default();
        let status = r.status.and_then(status_code);
        match (action.as_str(), status) {
            ("delivered" | "relayed" | "expanded", _) => None,
            (_, Some(code)) if code.starts_with('5') => Some((BounceClass::Permanent, code)),
            (_, Some(code)) if code.starts_with('4') => Some((BounceClass::Transient, code)),
            ("failed", _) => Some((BounceClass::Permanent, "5.0.0".to_owned())),
            ("delayed", _) => Some((BounceClass::Transient, "4.0.0".to_owned())),
            _ => None,
        }
    });
    classed.min_by_key(|(class, _)| *class != BounceClass::Permanent)
}

/// `class.subject.detail` (RFC 3463) at the start of a `Status` field, or
/// `None` if there is none.
fn status_code(field: &str) -> Option<String> {
    let code = field.split_whitespace().next()?;
    let parts: Vec<&str> = code.split('.').collect();
    let numeric = |p: &str| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit());
    let valid = parts.len() == 3 && ["2", "4", "5"].contains(&parts[0]) && parts[1..].iter().all(|p| numeric(p));
    valid.then(|| code.to_owned())
}

/// Whether a feedback report's `Feedback-Type` is a complaint about the
/// mail (RFC 5965: abuse, fraud, other), as opposed to `not-spam`,
/// `virus` or an authentication failure report.
pub fn is_complaint(feedback_type: &str) -> bool {
    let kind = feedback_type.trim().to_ascii_lowercase();
    ["abuse", "fraud", "other"].contains(&kind.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status<'a>(action: &'a str, status: &'a str) -> RecipientStatus<'a> {
        RecipientStatus { action: Some(action), status: Some(status) }
    }

    #[test]
    fn a_5xx_failure_is_permanent_and_names_its_status() {
        let dsn = [status("failed", "5.1.1 (bad destination mailbox address)")];
        assert_eq!(classify(&dsn), Some((BounceClass::Permanent, "5.1.1".into())));
        assert_eq!(classify(&[status("Failed", "5.7.1")]), Some((BounceClass::Permanent, "5.7.1".into())));
    }

    #[test]
    fn a_4xx_or_a_delay_is_transient_and_success_is_nothing() {
        assert_eq!(classify(&[status("delayed", "4.4.1")]), Some((BounceClass::Transient, "4.4.1".into())));
        assert_eq!(
            classify(&[RecipientStatus { action: Some("delayed"), status: None }]).unwrap().0,
            BounceClass::Transient
        );
        assert_eq!(classify(&[status("delivered", "2.0.0")]), None);
        assert_eq!(classify(&[status("relayed", "5.1.1")]), None);
        assert_eq!(classify(&[]), None);
    }

    #[test]
    fn the_worst_recipient_decides() {
        let dsn = [status("delayed", "4.2.2"), status("failed", "5.2.1")];
        assert_eq!(classify(&dsn), Some((BounceClass::Permanent, "5.2.1".into())));
    }

    #[test]
    fn garbage_statuses_are_ignored_and_a_failure_without_one_is_permanent() {
        assert_eq!(classify(&[status("failed", "x.y.z")]), Some((BounceClass::Permanent, "5.0.0".into())));
        assert_eq!(classify(&[status("", "5.1")]), None);
    }

    #[test]
    fn abuse_fraud_and_other_reports_are_complaints() {
        for kind in ["abuse", "Fraud", " other "] {
            assert!(is_complaint(kind), "{kind}");
        }
        for kind in ["not-spam", "virus", "auth-failure", ""] {
            assert!(!is_complaint(kind), "{kind}");
        }
    }
}
