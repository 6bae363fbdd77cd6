//! Telling an auto-reply from a person: an out-of-office note is never
//! counted as an answer and never answered (RFC 3834 asks responders not to
//! answer automatic mail, and a vacation message answering tend's "could
//! not read your reply" could loop).

use super::{fold, words};

/// The headers (and subject) that say a program sent a message.
#[derive(Debug, Clone, Copy, Default)]
pub struct AutoHeaders<'a> {
    pub auto_submitted: Option<&'a str>,
    pub precedence: Option<&'a str>,
    /// `X-Autoreply` is present.
    pub x_autoreply: bool,
    /// `X-Autorespond` is present.
    pub x_autorespond: bool,
    pub subject: Option<&'a str>,
}

/// Whether a program rather than a person sent it: `Auto-Submitted` other
/// than `no` (RFC 3834), `Precedence: bulk, junk, list or auto_reply`,
/// `X-Autoreply` or `X-Autorespond`, or an out-of-office subject in
/// English, German or Spanish.
pub fn is_auto_reply(headers: &AutoHeaders<'_>) -> bool {
    let value = |v: Option<&str>| v.map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase());
    let auto_submitted = value(headers.auto_submitted).is_some_and(|v| v != "no");
    let precedence = value(headers.precedence).is_some_and(|v| ["bulk", "junk", "list", "auto_reply"].contains(&&*v));
    let subject = headers.subject.map(fold).unwrap_or_default();
    let vacation = words::VACATION_SUBJECTS.iter().any(|s| subject.contains(s));
    auto_submitted || precedence || headers.x_autoreply || headers.x_autorespond || vacation
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_subject(subject: &str) -> AutoHeaders<'_> {
        AutoHeaders { subject: Some(subject), ..AutoHeaders::default() }
    }

    #[test]
    fn a_person_replying_is_not_an_auto_reply() {
        assert!(!is_auto_reply(&with_subject("Re: Ask what still feels hard")));
        let explicit_no = AutoHeaders { auto_submitted: Some("No"), ..with_subject("Re: hi") };
        assert!(!is_auto_reply(&explicit_no));
        let personal = AutoHeaders { precedence: Some("first-class"), ..with_subject("Re: hi") };
        assert!(!is_auto_reply(&personal));
    }

    #[test]
    fn headers_and_vacation_subjects_mark_auto_replies() {
        let replied = AutoHeaders { auto_submitted: Some("auto-replied; owner-email=\"x\""), ..Default::default() };
        assert!(is_auto_reply(&replied));
        for precedence in ["bulk", "Junk", "list", "auto_reply"] {
            assert!(is_auto_reply(&AutoHeaders { precedence: Some(precedence), ..Default::default() }));
        }
        assert!(is_auto_reply(&AutoHeaders { x_autoreply: true, ..Default::default() }));
        assert!(is_auto_reply(&AutoHeaders { x_autorespond: true, ..Default::default() }));
        for subject in [
            "Out of Office: Ask what still feels hard",
            "Automatic reply: Re: tend",
            "Abwesenheitsnotiz: Frag, was noch schwerfällt",
            "Automatische Antwort: tend",
            "Respuesta automática: tend",
            "Fuera de la oficina",
            "On vacation until Monday",
        ] {
            assert!(is_auto_reply(&with_subject(subject)), "{subject}");
        }
    }
}
