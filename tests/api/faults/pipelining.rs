//! PIPELINING (RFC 2920): MAIL, RCPT and DATA leave in one write when the
//! relay offers it, one at a time when it does not, and a refusal inside a
//! pipelined envelope is reported with the relay's own reply to that
//! command, not with the DATA refusal that follows it.

use std::time::Duration;

use tend::mail::SendOutcome;
use tend::mail::smtp::SmtpPool;

use super::pool_to;
use super::relay::Relay;

fn pool_for(relay: &Relay) -> SmtpPool {
    pool_to(relay, Duration::from_secs(5))
}

async fn send(pool: &SmtpPool, to: &str, n: usize) -> SendOutcome {
    let from: lettre::Address = "nudges@example.org".parse().unwrap();
    let to: lettre::Address = to.parse().unwrap();
    let body = format!("Message-ID: <{n}@example.org>\r\nSubject: hi\r\n\r\nhello\r\n");
    pool.send(&from, std::slice::from_ref(&to), body.as_bytes()).await
}

async fn send_three_that_are_accepted(pool: &SmtpPool) {
    for n in 0..3 {
        let outcome = send(pool, &format!("someone{n}@example.org"), n).await;
        assert!(matches!(outcome, SendOutcome::Sent { code: 250, .. }), "{outcome:?}");
    }
}

#[tokio::test]
async fn a_relay_that_offers_pipelining_gets_each_envelope_in_one_piece() {
    let relay = Relay::start().await;
    let pool = pool_for(&relay);
    send_three_that_are_accepted(&pool).await;
    assert_eq!(relay.message_ids().len(), 3);
    assert_eq!(relay.pipelined_envelopes(), 3);
}

#[tokio::test]
async fn a_relay_without_pipelining_gets_one_command_at_a_time() {
    let relay = Relay::start_without_pipelining().await;
    let pool = pool_for(&relay);
    send_three_that_are_accepted(&pool).await;
    assert_eq!(relay.message_ids().len(), 3);
    assert_eq!(relay.pipelined_envelopes(), 0, "pipelined to a relay that did not offer it");
}

#[tokio::test]
async fn a_recipient_refused_inside_a_pipelined_envelope_fails_with_the_rcpt_reply_and_the_next_mail_goes_out() {
    let relay = Relay::start().await;
    let pool = pool_for(&relay);
    let refused = send(&pool, "refused@example.com", 1).await;
    let SendOutcome::Permanent { code, reason } = refused else { panic!("{refused:?}") };
    assert_eq!(code, 550, "the RCPT's reply decides, not DATA's 554: {reason}");
    assert!(reason.contains("Recipient address rejected") && !reason.contains("refused@"), "{reason}");
    let next = send(&pool, "someone@example.org", 2).await;
    assert!(matches!(next, SendOutcome::Sent { code: 250, .. }), "{next:?}");
    assert_eq!(relay.message_ids(), vec!["<2@example.org>".to_owned()]);
    assert_eq!(relay.pipelined_envelopes(), 2);
}
