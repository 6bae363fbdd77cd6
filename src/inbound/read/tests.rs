//! The shapes of mail tend meets, from the fixtures the integration tests
//! deliver through Postfix (`tests/api/inbound/mail/`).

use proptest::prelude::*;

use super::*;
use crate::domain::reply::{ReplyWord, read_reply};

const PLAIN: &str = include_str!("../../../tests/api/inbound/mail/reply_plain.eml");
const OUTLOOK: &str = include_str!("../../../tests/api/inbound/mail/reply_outlook_html.eml");
const GERMAN: &str = include_str!("../../../tests/api/inbound/mail/reply_german.eml");
const VACATION: &str = include_str!("../../../tests/api/inbound/mail/vacation.eml");
const DSN: &str = include_str!("../../../tests/api/inbound/mail/dsn.eml");
const ARF: &str = include_str!("../../../tests/api/inbound/mail/arf.eml");

fn fill(template: &str, line: &str) -> Vec<u8> {
    template
        .replace("{from}", "Sam.Reader@Example.com")
        .replace("{to}", "r-abc@reply.example.org")
        .replace("{original}", "sam.reader@example.com")
        .replace("{line}", line)
        .replace("{action}", "failed")
        .replace("{status}", "5.1.1")
        .replace("{status_text}", "550 5.1.1 <sam.reader@example.com>: Recipient address rejected")
        .replace("{feedback_type}", "abuse")
        .replace('\n', "\r\n")
        .into_bytes()
}

fn reply_of(template: &str, line: &str) -> Reply {
    match read(&fill(template, line)) {
        Incoming::Reply(reply) => reply,
        other => panic!("not a reply: {other:?}"),
    }
}

#[test]
fn a_plain_reply_is_read_from_its_first_line_and_its_sender_lowercased() {
    let reply = reply_of(PLAIN, "Done, thanks!");
    assert_eq!(reply.from.as_deref(), Some("sam.reader@example.com"));
    assert!(!reply.auto);
    assert_eq!(reply.text.as_deref().and_then(read_reply), Some(ReplyWord::Done));
}

#[test]
fn an_html_only_outlook_reply_keeps_its_first_line_apart_from_the_quote() {
    let reply = reply_of(OUTLOOK, "Partly \u{2014} ran out of time");
    let text = reply.text.clone().unwrap();
    assert_eq!(crate::domain::reply::first_meaningful_line(&text), Some("Partly \u{2014} ran out of time"), "{text}");
    assert_eq!(read_reply(&text), Some(ReplyWord::Partly));
}

#[test]
fn a_latin1_german_reply_reads_after_its_greeting() {
    let reply = reply_of(GERMAN, "Noch nicht.");
    assert_eq!(reply.text.as_deref().and_then(read_reply), Some(ReplyWord::NotYet));
}

#[test]
fn an_out_of_office_note_is_automatic() {
    assert!(reply_of(VACATION, "").auto);
}

#[test]
fn a_dsn_reports_its_worst_failure() {
    assert_eq!(read(&fill(DSN, "")), Incoming::Dsn(Some((BounceClass::Permanent, "5.1.1".into()))));
    let delayed = String::from_utf8(fill(DSN, "")).unwrap().replace("Action: failed", "Action: delayed");
    let delayed = delayed.replace("Status: 5.1.1", "Status: 4.4.1");
    assert_eq!(read(delayed.as_bytes()), Incoming::Dsn(Some((BounceClass::Transient, "4.4.1".into()))));
}

#[test]
fn an_abuse_report_is_a_complaint_and_a_not_spam_report_is_not() {
    assert_eq!(read(&fill(ARF, "")), Incoming::Feedback { complaint: true });
    let not_spam = String::from_utf8(fill(ARF, "")).unwrap().replace("Feedback-Type: abuse", "Feedback-Type: not-spam");
    assert_eq!(read(not_spam.as_bytes()), Incoming::Feedback { complaint: false });
}

#[test]
fn block_tags_start_new_lines_whatever_their_case() {
    assert_eq!(break_blocks("<DIV>a</Div><HR>b"), "<DIV>a<br></Div><br><HR>b");
    assert_eq!(break_blocks("a < b"), "a < b");
}

proptest! {
    #[test]
    fn any_bytes_read_as_something_without_panicking(raw in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let _ = read(&raw);
    }

    #[test]
    fn any_html_is_broken_into_blocks_without_panicking(html in "(<[/a-zA-Z]{0,12}>|[^<]{0,20}|<){0,40}") {
        let _ = break_blocks(&html);
    }
}
