//! PIPELINING (RFC 2920): MAIL, RCPT and DATA leave in one write when the
//! relay offers it, one at a time when it does not, and a refusal inside a
//! pipelined envelope is reported with the relay's own reply to that
//! command, not with the DATA refusal that follows it. Chained: the next
//! message's envelope leaves with this one's end of data, and what happens
//! to either is told apart.

use std::time::Duration;

use tend::mail::SendOutcome;
use tend::mail::smtp::{Outgoing, SmtpPool, Then};

use super::pool_to;
use super::relay::{Behaviour, Relay};

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

/// Message `n` to `to`, as the pool sends it.
struct Mail {
    from: lettre::Address,
    to: Vec<lettre::Address>,
    data: Vec<u8>,
}

fn mail(to: &str, n: usize) -> Mail {
    let data = format!("Message-ID: <{n}@example.org>\r\nSubject: hi\r\n\r\nhello\r\n").into_bytes();
    Mail { from: "nudges@example.org".parse().unwrap(), to: vec![to.parse().unwrap()], data }
}

impl Mail {
    fn outgoing(&self) -> Outgoing<'_> {
        Outgoing { from: &self.from, to: &self.to, data: &self.data }
    }
}

fn ids(numbers: &[usize]) -> Vec<String> {
    numbers.iter().map(|n| format!("<{n}@example.org>")).collect()
}

fn sent(outcome: &SendOutcome) -> bool {
    matches!(outcome, SendOutcome::Sent { code: 250, .. })
}

#[tokio::test]
async fn the_next_envelope_leaves_with_the_end_of_data_so_each_message_takes_one_round_trip() {
    // The relay answers each end of data only once the next envelope has
    // arrived: a client that waited for the answer first would time out.
    let relay = Relay::start().await;
    relay.then(Behaviour::AcceptOnceTheNextCommandArrives).then(Behaviour::AcceptOnceTheNextCommandArrives);
    let pool = pool_for(&relay);
    let (one, two, three) = (mail("a@example.org", 1), mail("b@example.org", 2), mail("c@example.org", 3));

    let (first, then) = pool.send_then(None, one.outgoing(), Some(two.outgoing())).await;
    let Then::Opened(opened) = then else { panic!("the second envelope was not accepted: {first:?}") };
    assert!(sent(&first), "{first:?}");
    let (second, then) = pool.send_then(Some(opened), two.outgoing(), Some(three.outgoing())).await;
    let Then::Opened(opened) = then else { panic!("the third envelope was not accepted: {second:?}") };
    assert!(sent(&second), "{second:?}");
    let (third, then) = pool.send_then(Some(opened), three.outgoing(), None).await;
    assert!(sent(&third) && matches!(then, Then::Alone), "{third:?}");

    assert_eq!(relay.message_ids(), ids(&[1, 2, 3]));
    assert_eq!(relay.connections(), 1);
    let idle = pool.send_then(None, mail("d@example.org", 4).outgoing(), None).await.0;
    assert!(sent(&idle), "the session went back to the pool: {idle:?}");
    assert_eq!(relay.connections(), 1);
}

#[tokio::test]
async fn a_connection_lost_after_the_end_of_data_makes_that_message_unknown_and_the_next_one_goes_on_its_own() {
    let relay = Relay::start().await;
    relay.then(Behaviour::HangUpAfterData);
    let pool = pool_for(&relay);
    let (one, two) = (mail("a@example.org", 1), mail("b@example.org", 2));

    let (first, then) = pool.send_then(None, one.outgoing(), Some(two.outgoing())).await;
    assert!(matches!(first, SendOutcome::Unknown { .. }), "{first:?}");
    assert!(matches!(then, Then::Alone), "the lost connection says nothing about the second message");
    let (second, _) = pool.send_then(None, two.outgoing(), None).await;
    assert!(sent(&second), "{second:?}");
    assert_eq!(relay.message_ids(), ids(&[1, 2]));
}

#[tokio::test]
async fn a_refused_end_of_data_fails_only_its_own_message_and_the_next_one_goes_on_its_own() {
    let relay = Relay::start().await;
    relay.then(Behaviour::Reply("451 4.3.0 try later"));
    let pool = pool_for(&relay);
    let (one, two) = (mail("a@example.org", 1), mail("b@example.org", 2));

    let (first, then) = pool.send_then(None, one.outgoing(), Some(two.outgoing())).await;
    assert!(matches!(first, SendOutcome::Transient { code: Some(451), .. }), "{first:?}");
    assert!(matches!(then, Then::Alone));
    let (second, _) = pool.send_then(None, two.outgoing(), None).await;
    assert!(sent(&second), "{second:?}");
    assert_eq!(relay.message_ids(), ids(&[1, 2]), "the relay saw the first, refused it, then the second");
}

#[tokio::test]
async fn a_chained_envelope_the_relay_refuses_is_the_next_messages_outcome() {
    let relay = Relay::start().await;
    let pool = pool_for(&relay);
    let (one, refused) = (mail("a@example.org", 1), mail("refused@example.com", 2));

    let (first, then) = pool.send_then(None, one.outgoing(), Some(refused.outgoing())).await;
    assert!(sent(&first), "{first:?}");
    let Then::Refused(SendOutcome::Permanent { code: 550, reason }) = then else {
        panic!("the RCPT's 550 decides the second message")
    };
    assert!(!reason.contains("refused@"), "{reason}");
    let third = pool.send_then(None, mail("c@example.org", 3).outgoing(), None).await.0;
    assert!(sent(&third), "{third:?}");
    assert_eq!(relay.message_ids(), ids(&[1, 3]));
}

#[tokio::test]
async fn while_another_send_waits_for_a_connection_the_next_envelope_is_not_chained() {
    // One connection: a session kept for the next message would never come
    // free for the send that waits.
    let relay = Relay::start().await;
    let pool = pool_for(&relay);
    let (one, two, three, four) =
        (mail("a@example.org", 1), mail("b@example.org", 2), mail("c@example.org", 3), mail("d@example.org", 4));
    let (first, then) = pool.send_then(None, one.outgoing(), Some(two.outgoing())).await;
    let Then::Opened(opened) = then else { panic!("nobody waited, so the second was chained: {first:?}") };

    let waiting = pool.send_then(None, three.outgoing(), None);
    let holding = async {
        while pool.waiting() == 0 {
            tokio::task::yield_now().await;
        }
        pool.send_then(Some(opened), two.outgoing(), Some(four.outgoing())).await
    };
    let ((third, _), (second, then)) = tokio::join!(waiting, holding);
    assert!(sent(&second) && sent(&third), "{second:?} {third:?}");
    assert!(matches!(then, Then::Alone), "chained although a send was waiting for the connection");
    assert_eq!(relay.message_ids(), ids(&[1, 2, 3]));
}
