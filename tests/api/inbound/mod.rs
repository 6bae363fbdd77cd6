//! Replies, bounces and complaints, delivered the way they arrive in
//! production: to a real Postfix acting as the MX (`relays::postfix`, its
//! `mx` door), which relays the inbound domain to tend's listener through a
//! transport map. Each test waits for Postfix's log to say the message left
//! (tend answers 250 only once it has acted), then reads the database.
//! `listener.rs` speaks to the listener directly, for its limits.

pub mod client;
mod listener;

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use tend::config::Settings;

use self::client::{Client, Envelope};
use crate::helpers::{TestApp, spawn_app_with};
use crate::relays::postfix::{MxRoute, Port, Postfix};

pub const DOMAIN: &str = "reply.tend.test";

pub const PLAIN: &str = include_str!("mail/reply_plain.eml");
pub const OUTLOOK: &str = include_str!("mail/reply_outlook_html.eml");
pub const VACATION: &str = include_str!("mail/vacation.eml");
pub const DSN: &str = include_str!("mail/dsn.eml");
pub const ARF: &str = include_str!("mail/arf.eml");

/// tend with its inbound listener on a free port.
pub fn with_inbound(s: &mut Settings) {
    s.inbound.bind = "127.0.0.1:0".into();
    s.inbound.domain = DOMAIN.into();
}

/// A message from a fixture: `{from}` and `{original}` are the subscriber,
/// `{to}` the tend address it goes to, `{line}` what the person wrote.
pub fn fill(template: &str, subscriber: &str, to: &str, line: &str) -> String {
    template
        .replace("{from}", subscriber)
        .replace("{original}", subscriber)
        .replace("{to}", to)
        .replace("{line}", line)
        .replace("{action}", "failed")
        .replace("{status}", "5.1.1")
        .replace("{status_text}", &format!("550 5.1.1 <{subscriber}>: Recipient address rejected: User unknown"))
        .replace("{feedback_type}", "abuse")
}

/// A nudge as it went out.
pub struct Nudge {
    pub subscriber_id: i64,
    pub delivery_id: i64,
    pub track: String,
    /// `Reply-To`.
    pub reply_to: String,
    /// The envelope sender (VERP).
    pub bounce: String,
}

/// Confirms a subscriber and sends their first nudge.
pub async fn first_nudge(app: &TestApp, email: &str) -> Nudge {
    let (subscriber_id, delivery_id, track) = crate::answers::first_nudge(app, email).await;
    let mail = app.smtp.received_by(email).pop().expect("the nudge");
    let reply_to = mail.header("Reply-To").unwrap_or_default();
    Nudge { subscriber_id, delivery_id, track, reply_to, bounce: mail.from }
}

/// What a track's row says after an answer.
#[derive(Debug, PartialEq)]
pub struct TrackRow {
    pub interval_days: i32,
    pub ease: f64,
    pub streak: i32,
    pub last_answer: Option<String>,
    pub next_due_at: Option<DateTime<Utc>>,
}

pub async fn track_row(app: &TestApp, subscriber_id: i64, track: &str) -> TrackRow {
    let (interval_days, ease, streak, last_answer, next_due_at) = sqlx::query_as(
        "select interval_days, ease, streak, last_answer, next_due_at from subscriber_tracks
         where subscriber_id = $1 and track = $2",
    )
    .bind(subscriber_id)
    .bind(track)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    TrackRow { interval_days, ease, streak, last_answer, next_due_at }
}

pub async fn answer_of(app: &TestApp, delivery_id: i64) -> Option<String> {
    sqlx::query_scalar("select action from answers where delivery_id = $1")
        .bind(delivery_id)
        .fetch_optional(&app.pool)
        .await
        .unwrap()
}

/// tend with its listener, and a Postfix MX relaying the inbound domain to it.
async fn behind_postfix(pool: PgPool) -> Option<(TestApp, Postfix)> {
    let app = spawn_app_with(pool, with_inbound).await;
    let route = MxRoute { domain: DOMAIN.into(), port: app.inbound_port.expect("the listener runs") };
    let relay = Postfix::start_mx(route)?;
    Some((app, relay))
}

/// Hands a message to the MX, as the subscriber's provider would, and
/// waits until Postfix has delivered it to tend; returns Postfix's line.
async fn through_mx(relay: &Postfix, from: &str, to: &str, message: &str) -> String {
    let mut client = Client::connect(relay.port(Port::Mx)).await;
    let reply = client.send(&Envelope { from, to: &[to], message }).await;
    assert!(reply.starts_with("250"), "the MX took it: {reply} {:?}", client.replies);
    client.quit().await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        if let Some(line) = relay.delivery_line(to) {
            assert!(line.contains("relay=127.0.0.1"), "{line}");
            return line;
        }
        assert!(std::time::Instant::now() < deadline, "Postfix did not deliver to tend: {}", relay.log());
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

#[sqlx::test]
async fn a_done_reply_with_the_nudge_quoted_below_moves_the_schedule_as_the_button_does(pool: PgPool) {
    let Some((app, relay)) = behind_postfix(pool).await else { return };
    let by_reply = first_nudge(&app, "replies@example.com").await;
    let by_button = first_nudge(&app, "clicks@example.com").await;
    assert_eq!(by_reply.track, by_button.track, "both got the same first nudge");

    let reply = fill(PLAIN, "replies@example.com", &by_reply.reply_to, "Done, thanks!");
    let line = through_mx(&relay, "replies@example.com", &by_reply.reply_to, &reply).await;
    assert!(line.contains("status=sent") && line.contains("250 2.0.0"), "{line}");
    let links = app.links_in(&app.smtp.received_by("clicks@example.com").pop().unwrap(), "/n/");
    let done = links.iter().find(|l| l.ends_with("a=done")).expect("a done link");
    assert_eq!(app.post_form(done, "action=done").await.status(), 200);

    assert_eq!(answer_of(&app, by_reply.delivery_id).await.as_deref(), Some("done"));
    let replied = track_row(&app, by_reply.subscriber_id, &by_reply.track).await;
    let clicked = track_row(&app, by_button.subscriber_id, &by_button.track).await;
    assert_eq!(replied, clicked, "a reply steers the track exactly as the button");
    assert_eq!(replied.last_answer.as_deref(), Some("done"));
    // The first answer counts: a second reply changes nothing.
    let again = fill(PLAIN, "replies@example.com", &by_reply.reply_to, "Not yet");
    through_mx(&relay, "replies@example.com", &by_reply.reply_to, &again).await;
    assert_eq!(answer_of(&app, by_reply.delivery_id).await.as_deref(), Some("done"));
    assert_eq!(track_row(&app, by_reply.subscriber_id, &by_reply.track).await, replied);
}

#[sqlx::test]
async fn an_html_only_reply_in_outlooks_shape_is_read_from_its_first_line(pool: PgPool) {
    let Some((app, relay)) = behind_postfix(pool).await else { return };
    let nudge = first_nudge(&app, "outlook@example.com").await;

    let reply = fill(OUTLOOK, "outlook@example.com", &nudge.reply_to, "Partly &mdash; ran out of time");
    through_mx(&relay, "outlook@example.com", &nudge.reply_to, &reply).await;

    assert_eq!(answer_of(&app, nudge.delivery_id).await.as_deref(), Some("partly"));
}

#[sqlx::test]
async fn a_not_yet_reply_records_not_yet(pool: PgPool) {
    let Some((app, relay)) = behind_postfix(pool).await else { return };
    let nudge = first_nudge(&app, "later@example.com").await;

    let reply = fill(PLAIN, "later@example.com", &nudge.reply_to, "not yet");
    through_mx(&relay, "later@example.com", &nudge.reply_to, &reply).await;

    assert_eq!(answer_of(&app, nudge.delivery_id).await.as_deref(), Some("not_yet"));
    let row = track_row(&app, nudge.subscriber_id, &nudge.track).await;
    assert_eq!(row.last_answer.as_deref(), Some("not_yet"));
}

#[sqlx::test]
async fn a_vacation_auto_reply_records_nothing_and_sends_nothing(pool: PgPool) {
    let Some((app, relay)) = behind_postfix(pool).await else { return };
    let nudge = first_nudge(&app, "away@example.com").await;
    let before = app.snapshot().await;
    let mails = app.smtp.received_by("away@example.com").len();

    // Its first line, "Yes, I got your message.", would read as done.
    for to in [&nudge.reply_to, &nudge.bounce] {
        let note = fill(VACATION, "away@example.com", to, "");
        through_mx(&relay, "away@example.com", to, &note).await;
    }
    app.dispatch_all_pending_emails().await;

    assert_eq!(answer_of(&app, nudge.delivery_id).await, None);
    assert_eq!(app.snapshot().await, before, "nothing recorded, no mail queued");
    assert_eq!(app.smtp.received_by("away@example.com").len(), mails, "never answered");
    assert!(app.scrape().await.contains("tend_inbound_replies_total{outcome=\"auto_reply\"} 1"));
}

#[sqlx::test]
async fn a_dsn_with_5_1_1_suppresses_the_address_and_no_further_mail_goes_out(pool: PgPool) {
    let Some((app, relay)) = behind_postfix(pool).await else { return };
    let nudge = first_nudge(&app, "gone-later@example.com").await;
    let sent = app.smtp.received().len();

    let dsn = fill(DSN, "gone-later@example.com", &nudge.bounce, "");
    through_mx(&relay, "", &nudge.bounce, &dsn).await;

    let (code, reason): (i16, String) =
        sqlx::query_as("select smtp_code, reason from suppressed_addresses where email = 'gone-later@example.com'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(code, 550);
    assert!(reason.contains("5.1.1"), "{reason}");
    // The next nudge is planned and claimed, and cancelled instead of sent.
    app.travel_to_next_slot(nudge.subscriber_id).await;
    app.plan().await;
    app.dispatch_all_pending_emails().await;
    assert_eq!(app.smtp.received().len(), sent, "no further mail");
    let pending = "select count(*) from deliveries where status = 'pending'";
    assert_eq!(app.count(pending).await, 0);
}

#[sqlx::test]
async fn an_arf_complaint_unsubscribes_at_once(pool: PgPool) {
    let Some((app, relay)) = behind_postfix(pool).await else { return };
    let nudge = first_nudge(&app, "annoyed@example.com").await;

    let report = fill(ARF, "annoyed@example.com", &nudge.bounce, "");
    through_mx(&relay, "fbl@isp.example.net", &nudge.bounce, &report).await;

    assert_eq!(app.status_of("annoyed@example.com").await.as_deref(), Some("unsubscribed"));
    let queued =
        format!("select count(*) from deliveries where subscriber_id = {} and status = 'pending'", nudge.subscriber_id);
    assert_eq!(app.count(&queued).await, 0);
}

#[sqlx::test]
async fn a_forged_token_is_refused_with_550_at_rcpt(pool: PgPool) {
    let Some((app, relay)) = behind_postfix(pool).await else { return };
    let nudge = first_nudge(&app, "real@example.com").await;
    // The real address with one character in the middle of its token changed.
    let (local, domain) = nudge.reply_to.split_once('@').unwrap();
    let (head, tail) = local.split_at(local.len() / 2);
    let changed = if tail.starts_with('a') { 'b' } else { 'a' };
    let forged = format!("{head}{changed}{}@{domain}", &tail[1..]);
    let before = app.snapshot().await;

    let reply = fill(PLAIN, "real@example.com", &forged, "Done");
    // The null sender: Postfix's bounce of it goes nowhere.
    let line = through_mx(&relay, "", &forged, &reply).await;

    assert!(line.contains("status=bounced") && line.contains("550 5.1.1"), "{line}");
    assert!(line.contains("in reply to RCPT TO command"), "{line}");
    assert_eq!(answer_of(&app, nudge.delivery_id).await, None);
    assert_eq!(app.snapshot().await, before);
}
