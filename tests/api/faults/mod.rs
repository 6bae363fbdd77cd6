//! Delivery under faults, fast scenarios: a scriptable relay on loopback and
//! the sender step driven directly. Each scenario counts what reached the
//! relay by Message-ID and the rows in the database: nothing is lost, and a
//! duplicate appears only where the SMTP transaction had reached the end of
//! data. The slow scenarios (kill -9, SIGTERM, PostgreSQL stopped) live in
//! `deploy/faults/run.sh`; see RELIABILITY.md.

mod pipelining;
mod relay;
mod streaming;

use std::collections::HashMap;
use std::time::Duration;

use sqlx::PgPool;
use tend::config::Settings;
use tend::mail::SendOutcome;
use tend::mail::smtp::{Security, SmtpPool, SmtpTarget};
use tend::metrics::DeliveryEvent;
use tend::sender::ExecutionOutcome;
use tend::store::deliveries::{self, Fence, Retry};

use self::relay::{Behaviour, Relay, closed_port};
use crate::helpers::{TestApp, spawn_app_with};

async fn app_on(pool: PgPool, port: u16, customize: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_with(pool, |s| {
        s.mail.smtp_url = format!("smtp://127.0.0.1:{port}").into();
        customize(s);
    })
    .await
}

/// Makes every queued retry due now: the same as waiting out the backoff.
async fn make_due(app: &TestApp) {
    sqlx::query("update deliveries set due_at = now() where status = 'pending'").execute(&app.pool).await.unwrap();
}

async fn send_once(app: &TestApp) {
    app.sender.try_execute_batch().await.expect("send batch");
}

/// (status, attempt, unknown_outcomes, smtp_code) of the only delivery.
async fn only_row(app: &TestApp) -> (String, i32, i32, Option<i16>) {
    sqlx::query_as("select status, attempt, unknown_outcomes, smtp_code from deliveries")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

fn duplicates(ids: &[String]) -> usize {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    ids.iter().for_each(|id| *seen.entry(id).or_default() += 1);
    ids.len() - seen.len()
}

fn pool_to(relay: &Relay, timeout: Duration) -> SmtpPool {
    let target = SmtpTarget { host: "127.0.0.1".into(), port: relay.port, security: Security::Plain };
    SmtpPool::new(target, None, timeout, 1)
}

fn addresses() -> (lettre::Address, lettre::Address) {
    ("nudges@example.org".parse().unwrap(), "someone@example.org".parse().unwrap())
}

#[tokio::test]
async fn lines_that_start_with_a_dot_arrive_as_composed() {
    let relay = Relay::start().await;
    let pool = pool_to(&relay, Duration::from_secs(5));
    let (from, to) = addresses();
    let body = "Message-ID: <dots@example.org>\r\n\r\n.\r\n..\r\n.a line\r\na . inside\r\n.\r\nlast\r\n";
    for _ in 0..2 {
        let outcome = pool.send(&from, std::slice::from_ref(&to), body.as_bytes()).await;
        assert!(matches!(outcome, SendOutcome::Sent { .. }), "{outcome:?}");
    }
    // The line before the end of data is the transport's own, as in lettre.
    let expected = format!("{body}\r\n").into_bytes();
    assert_eq!(relay.messages(), [expected.clone(), expected]);
}

#[tokio::test]
async fn bytes_that_are_not_text_still_go_out_dot_stuffed_by_lettre() {
    let relay = Relay::start().await;
    let pool = pool_to(&relay, Duration::from_secs(5));
    let (from, to) = addresses();
    let body = b"Message-ID: <bytes@example.org>\r\n\r\n\xff\xfe not UTF-8\r\n.a line that starts with a dot\r\n";
    let outcome = pool.send(&from, std::slice::from_ref(&to), body).await;
    assert!(matches!(outcome, SendOutcome::Sent { .. }), "{outcome:?}");
    assert_eq!(relay.messages(), [[&body[..], b"\r\n"].concat()]);
}

#[tokio::test]
async fn a_relay_that_stops_reading_the_message_gets_a_plain_retry_not_an_unknown_outcome() {
    let relay = Relay::start().await;
    relay.then(Behaviour::StopReadingAtData);
    let pool = pool_to(&relay, Duration::from_secs(1));
    let (from, to) = addresses();
    // Far more than the socket buffers of both ends hold, so the write cannot finish.
    let body = format!("Message-ID: <big@example.org>\r\n\r\n{}", format!("{}\r\n", "x".repeat(998)).repeat(64 * 1024));
    let outcome = pool.send(&from, std::slice::from_ref(&to), body.as_bytes()).await;
    let SendOutcome::Transient { code: None, reason } = outcome else { panic!("{outcome:?}") };
    assert!(reason.contains("stage Data"), "{reason}");
}

#[sqlx::test]
async fn a_4xx_is_retried_and_then_sent_once(pool: PgPool) {
    let relay = Relay::start().await;
    relay.then(Behaviour::Reply("451 4.3.0 try again later"));
    let app = app_on(pool, relay.port, |_| {}).await;
    app.subscribe("busy@example.com").await;
    send_once(&app).await;
    assert_eq!(only_row(&app).await, ("pending".into(), 1, 0, Some(451)));
    assert_eq!(app.sender.metrics().get(DeliveryEvent::Transient), 1);
    make_due(&app).await;
    send_once(&app).await;
    assert_eq!(only_row(&app).await.0, "sent");
    // The first copy was refused at the end of data, so only one was accepted.
    assert_eq!(relay.message_ids().len(), 2);
}

#[sqlx::test]
async fn a_5_1_1_fails_for_good_and_suppresses_the_address(pool: PgPool) {
    let relay = Relay::start().await;
    relay.then(Behaviour::Reply("550 5.1.1 <gone@example.com>: no such user"));
    let app = app_on(pool, relay.port, |_| {}).await;
    app.subscribe("gone@example.com").await;
    send_once(&app).await;
    let (status, _, _, code) = only_row(&app).await;
    assert_eq!((status.as_str(), code), ("failed", Some(550)));
    let error: String = sqlx::query_scalar("select last_error from deliveries").fetch_one(&app.pool).await.unwrap();
    assert!(error.contains("5.1.1"), "{error}");
    assert_eq!(app.count("select count(*) from suppressed_addresses where email = 'gone@example.com'").await, 1);
}

#[sqlx::test]
async fn a_connection_dropped_after_the_data_is_an_unknown_outcome_retried_with_the_same_message_id(pool: PgPool) {
    let relay = Relay::start().await;
    relay.then(Behaviour::HangUpAfterData);
    let app = app_on(pool, relay.port, |_| {}).await;
    app.subscribe("dropped@example.com").await;
    send_once(&app).await;
    assert_eq!(only_row(&app).await, ("pending".into(), 1, 1, None));
    assert_eq!(app.sender.metrics().get(DeliveryEvent::Unknown), 1);
    make_due(&app).await;
    send_once(&app).await;
    assert_eq!(only_row(&app).await.0, "sent");
    let ids = relay.message_ids();
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0], ids[1], "the retry reuses the Message-ID");
    assert_eq!(duplicates(&ids), 1, "one duplicate: the one transaction that reached the end of data");
}

#[sqlx::test]
async fn a_final_reply_slower_than_the_timeout_is_an_unknown_outcome(pool: PgPool) {
    let relay = Relay::start().await;
    relay.then(Behaviour::SlowReply(Duration::from_secs(3)));
    let app = app_on(pool, relay.port, |s| s.mail.timeout = tend::config::Duration::parse("1s").unwrap()).await;
    app.subscribe("slow@example.com").await;
    send_once(&app).await;
    assert_eq!(only_row(&app).await, ("pending".into(), 1, 1, None));
    make_due(&app).await;
    send_once(&app).await;
    assert_eq!(only_row(&app).await.0, "sent");
    assert_eq!(duplicates(&relay.message_ids()), 1);
}

#[sqlx::test]
async fn a_relay_that_is_down_never_turns_mail_into_a_failure(pool: PgPool) {
    let port = closed_port().await;
    let app = app_on(pool, port, |s| s.sender.max_attempts = 2).await;
    app.subscribe("patient@example.com").await;
    for _ in 0..4 {
        send_once(&app).await;
        make_due(&app).await;
    }
    let (status, attempt, _, _) = only_row(&app).await;
    assert_eq!((status.as_str(), attempt), ("pending", 4), "past max_attempts and still queued");
    let relay = Relay::start_on(port).await;
    send_once(&app).await;
    assert_eq!(only_row(&app).await.0, "sent");
    assert_eq!(relay.message_ids().len(), 1);
}

#[sqlx::test]
async fn a_nudge_that_the_outage_made_stale_waits_for_the_same_time_next_day(pool: PgPool) {
    let app = app_on(pool, closed_port().await, |_| {}).await;
    app.subscribe("late@example.com").await;
    // Turn the queued mail into a nudge whose slot was five hours ago.
    sqlx::query(
        "update deliveries set kind = 'nudge', track = 'check-in', variant = 'x',
                slot = now() - interval '5 hours', due_at = now()",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    sqlx::query("update subscribers set status = 'active'").execute(&app.pool).await.unwrap();
    // Render it from a fake row or not: the retry rule is what is tested.
    let claimed = deliveries::claim_due(&app.pool, "w", 10, chrono::Duration::seconds(60)).await.unwrap();
    let fence = Fence { id: claimed[0].id(), attempt: claimed[0].attempt(), owner: "w" };
    let stale_after = Some(chrono::Duration::hours(3));
    assert!(
        deliveries::retry_later(
            &app.pool,
            fence,
            Retry {
                delay: chrono::Duration::seconds(30),
                stale_after,
                code: None,
                error: "down",
                unknown_outcome: false
            }
        )
        .await
        .unwrap()
    );
    let moved: bool = sqlx::query_scalar("select due_at = slot + interval '1 day' from deliveries")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(moved, "the nudge waits for its time of day tomorrow");
}

#[sqlx::test]
async fn four_instances_racing_over_5000_due_rows_send_each_exactly_once(pool: PgPool) {
    let relay = Relay::start().await;
    let mut apps = Vec::new();
    for _ in 0..4 {
        apps.push(app_on(pool.clone(), relay.port, |s| s.sender.batch_size = 100).await);
    }
    sqlx::query(
        "insert into subscribers (email, mailbox, timezone, send_time, status)
         select 'racer' || g || '@example.com', 'racer' || g || '@example.com', 'UTC', '08:30', 'pending'
         from generate_series(1, 5000) g",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("insert into deliveries (subscriber_id, kind, slot, due_at) select id, 'confirm', now(), now() from subscribers")
        .execute(&pool)
        .await
        .unwrap();
    record_who_marks_rows_sent(&pool).await;
    let runs = apps.iter().map(|app| async {
        while app.sender.try_execute_batch().await.expect("batch") != ExecutionOutcome::EmptyQueue {}
    });
    futures_util::future::join_all(runs).await;
    let ids = relay.message_ids();
    assert_eq!(apps[0].count("select count(*) from deliveries where status = 'sent'").await, 5000);
    assert_eq!(ids.len(), 5000);
    assert_eq!(duplicates(&ids), 0);
    // Each row was marked sent once, by one of the four instances, and all
    // four took part: they really raced.
    let (marks, rows): (i64, i64) =
        sqlx::query_as("select count(*), count(distinct delivery_id) from sent_by").fetch_one(&pool).await.unwrap();
    assert_eq!((marks, rows), (5000, 5000));
    let owners: Vec<String> = apps.iter().map(|app| app.sender.owner().to_owned()).collect();
    let by_owner: Vec<(String, i64)> =
        sqlx::query_as("select owner, count(*) from sent_by group by owner order by owner")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(by_owner.len(), 4, "{by_owner:?}");
    assert!(by_owner.iter().all(|(owner, _)| owners.contains(owner)), "{by_owner:?} not all of {owners:?}");
}

/// Test-only bookkeeping: the claim owner that recorded each row as `sent`,
/// once per time it did (the row keeps only the last).
async fn record_who_marks_rows_sent(pool: &PgPool) {
    for sql in [
        "create table sent_by (delivery_id bigint not null, owner text not null)",
        "create function record_sent_by() returns trigger language plpgsql as $$
         begin insert into sent_by values (new.id, new.owner); return null; end $$",
        "create trigger record_sent_by after update on deliveries for each row
         when (old.status = 'pending' and new.status = 'sent') execute function record_sent_by()",
    ] {
        sqlx::query(sql).execute(pool).await.unwrap();
    }
}

#[sqlx::test]
async fn a_worker_whose_lease_was_taken_mid_send_changes_nothing(pool: PgPool) {
    let relay = Relay::start().await;
    relay.then(Behaviour::SlowReply(Duration::from_millis(1500)));
    let stale = app_on(pool.clone(), relay.port, |_| {}).await;
    let fresh = app_on(pool, relay.port, |_| {}).await;
    stale.subscribe("lease@example.com").await;
    let stale_sender = stale.sender.clone();
    let stale_run = tokio::spawn(async move { stale_sender.try_execute_batch().await.unwrap() });
    // While the stale worker waits for its reply, its lease runs out.
    tokio::time::sleep(Duration::from_millis(400)).await;
    sqlx::query("update delivery_queue set lease_expires_at = now() - interval '1 second'")
        .execute(&fresh.pool)
        .await
        .unwrap();
    assert_eq!(deliveries::rescue_expired_leases(&fresh.pool).await.unwrap(), 1);
    fresh.dispatch_all_pending_emails().await;
    stale_run.await.unwrap();
    let owner: Option<String> =
        sqlx::query_scalar("select owner from deliveries").fetch_one(&fresh.pool).await.unwrap();
    let settled_by = Some(fresh.sender.owner().to_owned());
    assert_eq!((only_row(&fresh).await.0.as_str(), only_row(&fresh).await.1, owner), ("sent", 2, settled_by));
    assert_eq!(stale.sender.metrics().get(DeliveryEvent::LostLease), 1);
    assert_eq!(fresh.sender.metrics().get(DeliveryEvent::LostLease), 0);
    // Both transactions reached the end of data: one duplicate, the in-flight one.
    assert_eq!(duplicates(&relay.message_ids()), 1);
}

#[sqlx::test]
async fn a_rescue_racing_a_completion_never_undoes_it(pool: PgPool) {
    let app = app_on(pool, closed_port().await, |_| {}).await;
    for round in 0..30 {
        app.subscribe(&format!("race{round}@example.com")).await;
        let claimed = deliveries::claim_due(&app.pool, "w", 1, chrono::Duration::seconds(60)).await.unwrap();
        let fence = Fence { id: claimed[0].id(), attempt: claimed[0].attempt(), owner: "w" };
        sqlx::query("update delivery_queue set lease_expires_at = now() where delivery_id = $1")
            .bind(fence.id)
            .execute(&app.pool)
            .await
            .unwrap();
        let (sent, rescued) = tokio::join!(
            deliveries::mark_sent(&app.pool, fence, 250, "ok"),
            deliveries::rescue_expired_leases(&app.pool)
        );
        let (sent, rescued) = (sent.unwrap(), rescued.unwrap());
        let status: String = sqlx::query_scalar("select status from deliveries where id = $1")
            .bind(fence.id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
        assert!(sent != (rescued == 1), "exactly one wins (sent {sent}, rescued {rescued})");
        assert_eq!(status, if sent { "sent" } else { "pending" });
    }
}
