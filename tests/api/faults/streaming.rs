//! The streaming sender under its worst moments: a `tend serve` process
//! killed right after the relay's 250 for the k-th message, a relay so slow
//! that one claim's work would outlast its lease, and a database error while
//! a mail is being loaded.

use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::PgPool;
use tend::store::deliveries;
use tokio_util::sync::CancellationToken;

use super::relay::{Behaviour, Relay};
use super::{app_on, duplicates, make_due, send_once};
use crate::helpers::database_url;

/// `n` confirmation mails for `n` pending subscribers, all due now.
async fn seed_confirmations(pool: &PgPool, n: i64) {
    sqlx::query(
        "insert into subscribers (email, mailbox, timezone, send_time, status)
         select 'stream' || g || '@example.com', 'stream' || g || '@example.com', 'UTC', '08:30', 'pending'
         from generate_series(1, $1) g",
    )
    .bind(n)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query("insert into deliveries (subscriber_id, kind, slot, due_at) select id, 'confirm', now(), now() from subscribers")
        .execute(pool)
        .await
        .unwrap();
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

/// Polls until `sql` counts `want`, or panics after `within`.
async fn wait_for_count(pool: &PgPool, sql: &str, want: i64, within: Duration) {
    let deadline = Instant::now() + within;
    while count(pool, sql).await != want {
        assert!(Instant::now() < deadline, "{sql} never reached {want}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every row's Message-ID reached the relay, and no other ID did: a
/// duplicate carries the ID of its first copy.
async fn every_row_arrived_under_its_own_id(pool: &PgPool, received: &[String]) {
    let keys: HashSet<String> = sqlx::query_scalar::<_, String>("select message_key::text from deliveries")
        .fetch_all(pool)
        .await
        .unwrap()
        .into_iter()
        .collect();
    let distinct: HashSet<&str> = received.iter().map(String::as_str).collect();
    assert_eq!(distinct.len(), keys.len(), "one distinct Message-ID per row");
    for id in distinct {
        let key = id.trim_start_matches('<').split('@').next().unwrap_or_default();
        assert!(keys.contains(key), "{id} is no row's Message-ID");
    }
}

const ROWS: i64 = 600;
const CONCURRENCY: usize = 8;
const RECORD_BATCH: usize = 32;
/// What RELIABILITY.md promises: the most mails a crash can send twice.
const BOUND: usize = CONCURRENCY + RECORD_BATCH;

/// A real `tend serve` (sender only) against the test database and the
/// relay: batch size 200 over 8 connections, `record_batch` 32.
fn spawn_tend_serve(pool: &PgPool, relay: &Relay) -> Child {
    Command::new(env!("CARGO_BIN_EXE_tend"))
        .args(["serve", "--no-web", "--no-scheduler"])
        .env_remove("TEND_CONFIG")
        .env("DATABASE_URL", database_url(pool))
        .envs([
            ("TEND__MAIL__TRANSPORT", "smtp".to_owned()),
            ("TEND__MAIL__SMTP_URL", format!("smtp://127.0.0.1:{}", relay.port)),
            ("TEND__MAIL__STARTTLS", "none".to_owned()),
            ("TEND__MAIL__POOL_SIZE", CONCURRENCY.to_string()),
            ("TEND__SENDER__CONCURRENCY", CONCURRENCY.to_string()),
            ("TEND__SENDER__RECORD_BATCH", RECORD_BATCH.to_string()),
            ("TEND__SENDER__BATCH_SIZE", "200".to_owned()),
            ("TEND__SENDER__POLL_INTERVAL", "100ms".to_owned()),
            ("TEND__METRICS__BIND", "127.0.0.1:0".to_owned()),
            ("RUST_LOG", "warn".to_owned()),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("tend serve starts")
}

/// The relay sends SIGKILL to `child` right after its `k`-th 250 and
/// signals the returned `Notify`.
fn kill_after(relay: &Relay, k: usize, child: &Arc<Mutex<Option<Child>>>) -> Arc<tokio::sync::Notify> {
    let killed = Arc::new(tokio::sync::Notify::new());
    let (to_kill, done) = (child.clone(), killed.clone());
    relay.after_accepting(k, move || {
        if let Some(child) = to_kill.lock().unwrap().as_mut() {
            child.kill().expect("SIGKILL");
        }
        done.notify_one();
    });
    killed
}

async fn reap(child: &Arc<Mutex<Option<Child>>>) {
    let mut dead = child.lock().unwrap().take().expect("a child");
    if dead.try_wait().unwrap().is_none() {
        dead.kill().expect("SIGKILL");
    }
    tokio::task::spawn_blocking(move || dead.wait()).await.unwrap().unwrap();
}

/// After the crash: the dead process's leases end, an in-process sender
/// sends the rest; then nothing may be lost and every duplicate must carry
/// its first copy's Message-ID. Returns the duplicates.
async fn finish_and_count(pool: &PgPool, relay: &Relay) -> usize {
    sqlx::query("update delivery_queue set lease_expires_at = now() - interval '1 second' where owner is not null")
        .execute(pool)
        .await
        .unwrap();
    deliveries::rescue_expired_leases(pool).await.unwrap();
    let app = app_on(pool.clone(), relay.port, |_| {}).await;
    app.dispatch_all_pending_emails().await;
    let received = relay.message_ids();
    assert_eq!(count(pool, "select count(*) from deliveries where status = 'sent'").await, ROWS, "lost mail");
    every_row_arrived_under_its_own_id(pool, &received).await;
    duplicates(&received)
}

#[sqlx::test]
async fn a_crash_right_after_the_relays_250_resends_at_most_concurrency_plus_the_recorders_buffer(pool: PgPool) {
    // Arrange: a real `tend serve`, batch size 200 over 8 connections, a
    // relay answering in 50 ms that kills it right after its 192nd 250.
    const KILL_AFTER: usize = 192;
    seed_confirmations(&pool, ROWS).await;
    let relay = Relay::start().await;
    relay.always(Behaviour::SlowReply(Duration::from_millis(50)));
    let child: Arc<Mutex<Option<Child>>> = Arc::default();
    let killed = kill_after(&relay, KILL_AFTER, &child);
    *child.lock().unwrap() = Some(spawn_tend_serve(&pool, &relay));

    // Act
    tokio::time::timeout(Duration::from_secs(120), killed.notified()).await.expect("the relay saw 192 messages");
    reap(&child).await;
    let recorded = count(&pool, "select count(*) from deliveries where status = 'sent'").await;
    let dup = finish_and_count(&pool, &relay).await;

    // Assert
    println!("kill -9 after the 250 for message {KILL_AFTER}: {recorded} recorded, {dup} sent twice (bound {BOUND})");
    assert!(dup <= BOUND, "{dup} duplicates > {BOUND}");
}

#[sqlx::test]
async fn a_crash_while_recording_is_stalled_resends_no_more_than_the_bound(pool: PgPool) {
    // Arrange: the worst moment. Right after the relay's 100th 250, every
    // row claimed so far is locked, so the recorder's next commit blocks
    // while claims of other rows go on; the relay keeps accepting until
    // every permit of the recorder and every worker holds an accepted mail,
    // and tend is killed when that many are waiting.
    seed_confirmations(&pool, ROWS).await;
    let relay = Relay::start().await;
    let locked = Arc::new(tokio::sync::Notify::new());
    let lock_now = locked.clone();
    relay.after_accepting(100, move || lock_now.notify_one());
    let child: Arc<Mutex<Option<Child>>> = Arc::new(Mutex::new(Some(spawn_tend_serve(&pool, &relay))));
    tokio::time::timeout(Duration::from_secs(120), locked.notified()).await.expect("the relay saw 100 messages");
    let lock = lock_claimed_rows(&pool).await;

    // Act: wait until the accepted but unrecorded mails stop growing at the
    // bound (they must never pass it), then kill.
    let deadline = Instant::now() + Duration::from_secs(60);
    let waiting = loop {
        let recorded = count(&pool, "select count(*) from deliveries where status = 'sent'").await as usize;
        let waiting = relay.accepted() - recorded;
        assert!(waiting <= BOUND, "{waiting} accepted mails wait to be recorded, more than {BOUND}");
        if waiting == BOUND || Instant::now() > deadline {
            break waiting;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    reap(&child).await;
    lock.rollback().await.unwrap();
    let dup = finish_and_count(&pool, &relay).await;

    // Assert
    println!("kill -9 with recording stalled: {waiting} accepted and unrecorded, {dup} sent twice (bound {BOUND})");
    assert_eq!(waiting, BOUND, "the stall should fill the recorder and every worker");
    assert!(dup <= BOUND, "{dup} duplicates > {BOUND}");
}

/// Locks the rows the sender holds (claimed, not yet recorded), so its
/// recorder blocks at its next commit of one of them. The sender may hold
/// none at the very instant the test looks (its queue just drained, the next
/// claim not yet made); then it looks again, until it holds some.
async fn lock_claimed_rows(pool: &PgPool) -> sqlx::Transaction<'static, sqlx::Postgres> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut lock = pool.begin().await.unwrap();
        let held = sqlx::query("select delivery_id from delivery_queue where owner is not null for update")
            .fetch_all(&mut *lock)
            .await
            .unwrap();
        if !held.is_empty() {
            return lock;
        }
        lock.rollback().await.unwrap();
        assert!(Instant::now() < deadline, "the sender never held a claimed row");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

#[sqlx::test]
async fn a_relay_slower_than_the_lease_still_gets_every_nudge_exactly_once(pool: PgPool) {
    // Arrange: 100 due mails, batch 50 over 4 connections, an 8 s lease,
    // a relay that holds every final reply for 1 s (25 s of work), and the
    // rescue job running as it does in production.
    seed_confirmations(&pool, 100).await;
    let relay = Relay::start().await;
    relay.always(Behaviour::SlowReply(Duration::from_secs(1)));
    let app = app_on(pool.clone(), relay.port, |s| {
        s.sender.batch_size = 50;
        s.sender.concurrency = 4;
        s.mail.pool_size = 4;
        s.sender.lease = tend::config::Duration::parse("8s").unwrap();
        s.mail.timeout = tend::config::Duration::parse("4s").unwrap();
        s.sender.poll_interval = tend::config::Duration::parse("100ms").unwrap();
    })
    .await;
    let stop = CancellationToken::new();
    let sending = tokio::spawn(app.sender.clone().run_until_stopped(stop.clone()));
    let rescue_pool = pool.clone();
    let rescuing = tokio::spawn(async move {
        let mut rescued = 0;
        loop {
            rescued += deliveries::rescue_expired_leases(&rescue_pool).await.unwrap();
            tokio::time::sleep(Duration::from_millis(200)).await;
            if rescued > 0 {
                return rescued;
            }
        }
    });

    // Act
    wait_for_count(&pool, "select count(*) from deliveries where status = 'sent'", 100, Duration::from_secs(120)).await;
    stop.cancel();
    sending.await.unwrap();

    // Assert: no lease ran out, every mail arrived once.
    assert!(!rescuing.is_finished(), "a lease ran out and was rescued: {:?}", rescuing.await);
    rescuing.abort();
    let received = relay.message_ids();
    assert_eq!((received.len(), duplicates(&received)), (100, 0));
    every_row_arrived_under_its_own_id(&pool, &received).await;
}

#[sqlx::test]
async fn a_database_error_while_loading_a_weekly_summary_is_retried_not_cancelled(pool: PgPool) {
    // Arrange: an active subscriber who chose the weekly summary, its
    // summary due now, and a database that cannot read answers.
    let relay = Relay::start().await;
    let app = app_on(pool.clone(), relay.port, |_| {}).await;
    sqlx::query(
        "insert into subscribers (email, mailbox, timezone, send_time, status, weekly_summary, next_summary_at)
         values ('weekly@example.com', 'weekly@example.com', 'UTC', '08:30', 'active', true, now() + interval '7 days')",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("insert into deliveries (subscriber_id, kind, slot, due_at) select id, 'weekly_summary', now(), now() from subscribers")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("alter table answers rename to answers_away").execute(&pool).await.unwrap();

    // Act: one attempt while the table is away, one after it is back.
    send_once(&app).await;
    let (status, error): (String, String) =
        sqlx::query_as("select status, last_error from deliveries").fetch_one(&pool).await.unwrap();
    sqlx::query("alter table answers_away rename to answers").execute(&pool).await.unwrap();
    make_due(&app).await;
    send_once(&app).await;

    // Assert
    assert_eq!(status, "pending", "retried, not cancelled ({error})");
    assert!(error.contains("cannot load the mail"), "{error}");
    assert_eq!(count(&pool, "select count(*) from deliveries where status = 'sent'").await, 1);
    assert_eq!(relay.message_ids().len(), 1);
}

#[sqlx::test]
async fn the_lease_keeper_skips_a_row_whose_outcome_is_being_written_instead_of_waiting_for_it(pool: PgPool) {
    // Arrange: three claimed rows; an outcome write holds the first one's
    // queue row lock, as the recorder's group write does while it commits.
    seed_confirmations(&pool, 3).await;
    let lease = chrono::Duration::seconds(60);
    let claims = deliveries::claim_due(&pool, "keeper-test", 10, lease).await.unwrap();
    let held: Vec<(i64, i32)> = claims.iter().map(|c| (c.id(), c.attempt())).collect();
    assert_eq!(held.len(), 3);
    let mut writing = pool.begin().await.unwrap();
    sqlx::query("select delivery_id from delivery_queue where delivery_id = $1 for update")
        .bind(held[0].0)
        .execute(&mut *writing)
        .await
        .unwrap();

    // Act: extend every lease while that write is open. Waiting for the
    // lock would block here until the write ends (and deadlocked with the
    // recorder's update before); the timeout only turns a hang into a failure.
    let extending = deliveries::extend_leases(&pool, "keeper-test", &held, lease);
    let kept = tokio::time::timeout(Duration::from_secs(20), extending)
        .await
        .expect("the keeper waited for a row lock")
        .unwrap();

    // Assert: the two free rows were extended, the locked one skipped.
    let mut kept = kept;
    kept.sort_unstable();
    let mut free = vec![held[1].0, held[2].0];
    free.sort_unstable();
    assert_eq!(kept, free);
    writing.rollback().await.unwrap();
}

#[sqlx::test]
async fn the_pipeline_chains_envelopes_and_a_lost_connection_costs_only_the_mail_it_carried(pool: PgPool) {
    // Arrange: 20 due mails over one connection. The relay answers the first
    // end of data only once the next envelope has arrived (a worker that
    // did not chain would time out on it) and hangs up after the fourth,
    // when the next mail's envelope may be right behind its end of data.
    seed_confirmations(&pool, 20).await;
    let relay = Relay::start().await;
    relay
        .then(Behaviour::AcceptOnceTheNextCommandArrives)
        .then(Behaviour::Accept)
        .then(Behaviour::Accept)
        .then(Behaviour::HangUpAfterData);
    let app = app_on(pool.clone(), relay.port, |s| {
        s.sender.concurrency = 1;
        s.mail.pool_size = 1;
        s.mail.timeout = tend::config::Duration::parse("5s").unwrap();
        s.sender.poll_interval = tend::config::Duration::parse("100ms").unwrap();
    })
    .await;
    let stop = CancellationToken::new();
    let sending = tokio::spawn(app.sender.clone().run_until_stopped(stop.clone()));

    // Act: everything but the mail whose outcome is unknown is sent; then
    // its retry is made due (the same as waiting out its backoff).
    let sent = "select count(*) from deliveries where status = 'sent'";
    wait_for_count(&pool, sent, 19, Duration::from_secs(60)).await;
    sqlx::query("update deliveries set due_at = now() where status = 'pending'").execute(&pool).await.unwrap();
    wait_for_count(&pool, sent, 20, Duration::from_secs(60)).await;
    stop.cancel();
    sending.await.unwrap();

    // Assert: one mail was in doubt and resent under its Message-ID; the
    // one chained behind it went on its own, first time, no failure kept.
    let received = relay.message_ids();
    assert_eq!((received.len(), duplicates(&received)), (21, 1));
    every_row_arrived_under_its_own_id(&pool, &received).await;
    let in_doubt: String = sqlx::query_scalar("select message_key::text from deliveries where unknown_outcomes = 1")
        .fetch_one(&pool)
        .await
        .unwrap();
    let resent = received.iter().filter(|id| id.trim_start_matches('<').starts_with(&in_doubt)).count();
    assert_eq!(resent, 2, "the retry carries the first copy's Message-ID");
    assert_eq!(
        count(&pool, "select count(*) from deliveries where attempt > 1").await,
        1,
        "only the mail in doubt was retried"
    );
    assert_eq!(app.sender.metrics().get(tend::metrics::DeliveryEvent::Transient), 0);
    assert_eq!(relay.connections(), 2, "one connection until the hang-up, one after");
}
