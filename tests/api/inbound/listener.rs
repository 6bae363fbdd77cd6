//! tend's listener spoken to directly: what it refuses (550 at RCPT, 552,
//! 421 for one session too many and for one that lasts too long), what an
//! unclear or a stranger's reply does, promise replies, which mails carry
//! reply and bounce addresses at all, and that a reply address stops
//! working with the links of its generation.

use chrono::{Duration, Utc};
use sqlx::PgPool;
use tend::config::{InboundAddresses, Settings};
use tend::domain::{AddressKind, InboundDomain, LinkGeneration, LinkSigner};

use super::client::{Client, Envelope};
use super::{DOMAIN, PLAIN, answer_of, fill, first_nudge, track_row, with_inbound};
use crate::helpers::{TestApp, spawn_app, spawn_app_with};

fn signer() -> LinkSigner {
    LinkSigner::new(&Settings::load(None).unwrap().security.link_keys).unwrap()
}

async fn send(app: &TestApp, from: &str, to: &str, message: &str) -> String {
    let mut client = Client::connect(app.inbound_port.unwrap()).await;
    let reply = client.send(&Envelope { from, to: &[to], message }).await;
    client.quit().await;
    reply
}

async fn metrics(app: &TestApp) -> String {
    app.get("/metrics").await.text().await.unwrap()
}

#[sqlx::test]
async fn bad_foreign_and_expired_addresses_get_550_at_rcpt_big_messages_552_and_a_third_recipient_452(pool: PgPool) {
    let app = spawn_app_with(pool, |s| {
        with_inbound(s);
        s.inbound.max_bytes = 10_240;
        s.inbound.max_recipients = 2;
    })
    .await;
    let nudge = first_nudge(&app, "limits@example.com").await;
    let domain = InboundDomain::parse(DOMAIN).unwrap();
    let (generation, expires) = (LinkGeneration::FIRST, Utc::now() - Duration::minutes(1));
    let expired = signer().sign_address(AddressKind::Reply, nudge.delivery_id, generation, expires, &domain);
    let mut client = Client::connect(app.inbound_port.unwrap()).await;
    assert!(client.replies[0].starts_with(&format!("220 {DOMAIN}")), "{:?}", client.replies);
    client.command("EHLO client.example.com").await;
    assert!(client.command("MAIL FROM:<limits@example.com>").await.starts_with("250 2.1.0"));
    for refused in [
        format!("r-{}@{DOMAIN}", "a".repeat(60)),
        format!("postmaster@{DOMAIN}"),
        nudge.reply_to.replace(DOMAIN, "example.org"),
        expired,
    ] {
        let reply = client.command(&format!("RCPT TO:<{refused}>")).await;
        assert!(reply.starts_with("550 5.1.1"), "{refused}: {reply}");
    }
    assert!(client.command("DATA").await.starts_with("554"), "no valid recipient, no data");
    assert!(client.command(&format!("RCPT TO:<{}>", nudge.reply_to)).await.starts_with("250 2.1.5"));
    assert!(client.command(&format!("RCPT TO:<{}>", nudge.bounce)).await.starts_with("250 2.1.5"));
    assert!(client.command(&format!("RCPT TO:<{}>", nudge.reply_to)).await.starts_with("452 4.5.3"));
    assert!(client.command("DATA").await.starts_with("354"));
    let big = format!("Subject: big\r\n\r\n{}.", format!("{}\r\n", "x".repeat(76)).repeat(200));
    assert!(client.command(&big).await.starts_with("552 5.3.4"), "{:?}", client.replies);
    assert!(client.command("MAIL FROM:<limits@example.com> SIZE=20000").await.starts_with("552 5.3.4"));
    client.quit().await;

    assert_eq!(answer_of(&app, nudge.delivery_id).await, None);
    let metrics = metrics(&app).await;
    assert!(metrics.contains("tend_inbound_refused_total{reason=\"bad_address\"} 4"), "{metrics}");
    assert!(metrics.contains("tend_inbound_refused_total{reason=\"too_big\"} 2"), "{metrics}");
}

#[sqlx::test]
async fn one_session_too_many_gets_421_and_a_session_past_its_time_is_closed(pool: PgPool) {
    let app = spawn_app_with(pool, |s| {
        with_inbound(s);
        s.inbound.max_connections = 1;
        s.inbound.session_timeout = tend::config::Duration::parse("1s").unwrap();
    })
    .await;
    let mut first = Client::connect(app.inbound_port.unwrap()).await;
    assert!(first.replies[0].starts_with("220"));

    let second = Client::connect(app.inbound_port.unwrap()).await;
    assert!(second.replies[0].starts_with("421 4.3.2"), "{:?}", second.replies);
    // The first session says nothing more; the listener closes it on time.
    let started = std::time::Instant::now();
    assert!(first.reply().await.starts_with("421 4.4.2"));
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let metrics = metrics(&app).await;
    assert!(metrics.contains("tend_inbound_refused_total{reason=\"too_many_connections\"} 1"), "{metrics}");
    assert!(metrics.contains("tend_inbound_refused_total{reason=\"timed_out\"} 1"), "{metrics}");
}

#[sqlx::test]
async fn an_unclear_reply_records_nothing_and_brings_one_mail_with_the_buttons_a_day(pool: PgPool) {
    let app = spawn_app_with(pool, with_inbound).await;
    let nudge = first_nudge(&app, "unclear@example.com").await;
    let before = track_row(&app, nudge.subscriber_id, &nudge.track).await;

    for line in ["Thanks, I'll think about it", "hmm, maybe?"] {
        let reply = fill(PLAIN, "unclear@example.com", &nudge.reply_to, line);
        assert!(send(&app, "unclear@example.com", &nudge.reply_to, &reply).await.starts_with("250"));
        app.dispatch_all_pending_emails().await;
    }

    assert_eq!(answer_of(&app, nudge.delivery_id).await, None);
    assert_eq!(track_row(&app, nudge.subscriber_id, &nudge.track).await, before);
    let mails = app.smtp.received_by("unclear@example.com");
    let asked: Vec<_> =
        mails.iter().filter(|m| m.header("Subject").as_deref() == Some("Your reply: which one fits?")).collect();
    assert_eq!(asked.len(), 1, "one a day, however many unclear replies");
    // Its buttons and its Reply-To are the nudge's own.
    assert_eq!(asked[0].header("Reply-To").as_deref(), Some(nudge.reply_to.as_str()));
    let links = app.links_in(asked[0], "/n/");
    assert_eq!(links.len(), 5, "{links:?}");
    let partly = links.iter().find(|l| l.ends_with("a=partly")).unwrap();
    assert_eq!(app.post_form(partly, "action=partly").await.status(), 200);
    assert_eq!(answer_of(&app, nudge.delivery_id).await.as_deref(), Some("partly"));
    assert!(metrics(&app).await.contains("tend_inbound_replies_total{outcome=\"unclear\"} 2"));
}

#[sqlx::test]
async fn a_discreet_subscriber_s_which_one_fits_mail_is_discreet_too(pool: PgPool) {
    let app = spawn_app_with(pool, with_inbound).await;
    let nudge = first_nudge(&app, "quiet-replier@example.com").await;
    sqlx::query("update subscribers set discreet = true").execute(&app.pool).await.unwrap();

    let reply = fill(PLAIN, "quiet-replier@example.com", &nudge.reply_to, "hmm, maybe?");
    assert!(send(&app, "quiet-replier@example.com", &nudge.reply_to, &reply).await.starts_with("250"));
    app.dispatch_all_pending_emails().await;

    let asked = app.smtp.received_by("quiet-replier@example.com").pop().unwrap();
    let kind: String = sqlx::query_scalar("select kind::text from deliveries order by id desc limit 1")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(kind, "reply_unclear");
    crate::discreet::assert_discreet(&asked);
    let subject = asked.header("Subject").unwrap();
    assert!(["About your reply", "A quick question about your reply", "Your reply"].contains(&subject.as_str()));
    assert_eq!(asked.header("Reply-To").as_deref(), Some(nudge.reply_to.as_str()), "replies still reach tend");
}

#[sqlx::test]
async fn a_reply_to_a_mail_from_before_signing_out_or_unsubscribing_gets_550_at_rcpt(pool: PgPool) {
    let app = spawn_app_with(pool, with_inbound).await;
    let (seen, left) = ("seen-replier@example.com", "left-replier@example.com");
    let signed_out = first_nudge(&app, seen).await;
    let unsubscribed = first_nudge(&app, left).await;
    let link = |email: &str, path: &str| app.links_in(&app.smtp.received_by(email).pop().unwrap(), path).pop().unwrap();
    assert_eq!(app.post_form(&link(seen, "/me/"), "action=sign_out_links").await.status(), 200);
    assert_eq!(app.post_form(&link(left, "/unsubscribe/"), "List-Unsubscribe=One-Click").await.status(), 200);

    // The very mail's Reply-To: genuine and far from expiry; only its generation is old.
    for (email, nudge) in [(seen, &signed_out), (left, &unsubscribed)] {
        let reply = fill(PLAIN, email, &nudge.reply_to, "Done!");
        let refused = send(&app, email, &nudge.reply_to, &reply).await;
        assert!(refused.starts_with("550 5.1.1") && refused.contains("switched off"), "{refused}");
        assert_eq!(answer_of(&app, nudge.delivery_id).await, None);
    }
    assert!(metrics(&app).await.contains("tend_inbound_refused_total{reason=\"bad_address\"} 2"));

    // The same delivery's address of the current generation takes the reply.
    let current: i32 = sqlx::query_scalar("select link_generation from subscribers where id = $1")
        .bind(signed_out.subscriber_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let current = LinkGeneration::from_stored(current).unwrap();
    let (domain, expires) = (InboundDomain::parse(DOMAIN).unwrap(), Utc::now() + Duration::days(1));
    let fresh = signer().sign_address(AddressKind::Reply, signed_out.delivery_id, current, expires, &domain);
    assert!(send(&app, seen, &fresh, &fill(PLAIN, seen, &fresh, "Done!")).await.starts_with("250"));
    assert_eq!(answer_of(&app, signed_out.delivery_id).await.as_deref(), Some("done"));
    // A bounce address is not switched off: a complaint about an old mail still stops mail.
    let complaint = fill(super::ARF, seen, &signed_out.bounce, "");
    assert!(send(&app, "", &signed_out.bounce, &complaint).await.starts_with("250"));
    assert_eq!(app.status_of(seen).await.as_deref(), Some("unsubscribed"));
}

#[sqlx::test]
async fn a_reply_from_another_address_is_ignored(pool: PgPool) {
    let app = spawn_app_with(pool, with_inbound).await;
    let nudge = first_nudge(&app, "owner@example.com").await;
    let before = app.snapshot().await;

    let reply = fill(PLAIN, "forwarded-to@example.com", &nudge.reply_to, "Done!");
    assert!(send(&app, "forwarded-to@example.com", &nudge.reply_to, &reply).await.starts_with("250"));

    assert_eq!(app.snapshot().await, before, "nothing recorded, nothing queued");
    assert!(metrics(&app).await.contains("tend_inbound_replies_total{outcome=\"foreign_sender\"} 1"));
}

#[sqlx::test]
async fn a_yes_or_no_reply_answers_a_promise_mail(pool: PgPool) {
    let app = spawn_app_with(pool, with_inbound).await;
    let email = "promising@example.com";
    let id = app.subscribe_and_confirm(email).await;
    app.dispatch_all_pending_emails().await;
    let preferences = app.links_in(&app.smtp.received_by(email).pop().unwrap(), "/me/").pop().unwrap();
    let due = (Utc::now() + Duration::days(30)).format("%Y-%m-%d");
    let form = format!("action=promise&promise=Call+the+plumber&due_date={due}&due_time=18%3A00");
    assert_eq!(app.post_form(&preferences, form).await.status(), 200);
    sqlx::query("update deliveries set due_at = now() where kind = 'promise_review'").execute(&app.pool).await.unwrap();
    app.dispatch_all_pending_emails().await;
    let mail = app.smtp.received_by(email).pop().unwrap();
    let reply_to = mail.header("Reply-To").expect("a promise mail carries Reply-To");

    let reply = fill(PLAIN, email, &reply_to, "Yes, I did it!");
    assert!(send(&app, email, &reply_to, &reply).await.starts_with("250"));

    let outcome: Option<String> = sqlx::query_scalar("select outcome from promises where subscriber_id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(outcome.as_deref(), Some("kept"));
}

#[sqlx::test]
async fn mails_carry_reply_and_bounce_addresses_only_when_replies_can_reach_tend(pool: PgPool) {
    let plain = spawn_app(pool.clone()).await;
    first_nudge(&plain, "plain@example.com").await;
    for mail in plain.smtp.received_by("plain@example.com") {
        assert_eq!((mail.header("Reply-To"), mail.from.as_str()), (None, "nudges@localhost"), "as before");
    }

    let off = spawn_app_with(pool.clone(), |s| {
        with_inbound(s);
        s.inbound.addresses = InboundAddresses::Off;
    })
    .await;
    first_nudge(&off, "off@example.com").await;
    assert!(off.smtp.received_by("off@example.com").iter().all(|m| m.header("Reply-To").is_none()));

    let on = spawn_app_with(pool, with_inbound).await;
    let nudge = first_nudge(&on, "on@example.com").await;
    let mails = on.smtp.received_by("on@example.com");
    let (confirmation, sent_nudge) = (&mails[0], mails.last().unwrap());
    assert_eq!(confirmation.header("Reply-To"), None, "a confirmation asks nothing a reply could answer");
    assert!(confirmation.from.starts_with("b-") && confirmation.from.ends_with(&format!("@{DOMAIN}")));
    assert!(nudge.reply_to.starts_with("r-") && nudge.reply_to.ends_with(&format!("@{DOMAIN}")), "{}", nudge.reply_to);
    assert_eq!(sent_nudge.from, nudge.bounce);
    assert_ne!(confirmation.from, sent_nudge.from, "one bounce address per delivery");
    let claims = signer().verify_address(&nudge.bounce, &InboundDomain::parse(DOMAIN).unwrap(), Utc::now()).unwrap();
    assert_eq!((claims.kind, claims.delivery_id), (AddressKind::Bounce, nudge.delivery_id));
}

#[sqlx::test]
async fn a_reply_the_database_cannot_record_gets_451_and_counts_when_sent_again(pool: PgPool) {
    let app = spawn_app_with(pool, with_inbound).await;
    let nudge = first_nudge(&app, "patient-replier@example.com").await;
    let reply = fill(PLAIN, "patient-replier@example.com", &nudge.reply_to, "Done!");

    // At RCPT, where a reply address's link generation is read, and after the data.
    for (table, step) in [("subscribers", "Cannot check this address"), ("answers", "Cannot take it")] {
        sqlx::query(&format!("alter table {table} rename to {table}_away")).execute(&app.pool).await.unwrap();
        let refused = send(&app, "patient-replier@example.com", &nudge.reply_to, &reply).await;
        assert!(refused.starts_with("451 4.3.0") && refused.contains(step), "{table}: {refused}");
        sqlx::query(&format!("alter table {table}_away rename to {table}")).execute(&app.pool).await.unwrap();
    }

    assert!(send(&app, "patient-replier@example.com", &nudge.reply_to, &reply).await.starts_with("250"));
    assert_eq!(answer_of(&app, nudge.delivery_id).await.as_deref(), Some("done"));
    assert_eq!(track_row(&app, nudge.subscriber_id, &nudge.track).await.streak, 1);
}
