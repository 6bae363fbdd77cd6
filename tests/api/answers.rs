//! Answers arriving at once. Answers are written in batches, each batch one
//! snapshot read and one write fenced on the track rows' versions, so these
//! tests race real requests through two instances of the HTTP server
//! against one PostgreSQL: the first answer to a nudge is the only one
//! recorded and steers its track once, and answers to different nudges of
//! one track each steer it (none is lost to a stale read).

use futures_util::future::join_all;
use serde_json::{Value, json};
use sqlx::PgPool;
use tend::config::Settings;
use tend::domain::LinkSigner;
use tend::links::Links;

use crate::helpers::{TestApp, spawn_app};

/// Confirms a subscriber and sends their first nudge: (subscriber, nudge id, track).
async fn first_nudge(app: &TestApp, email: &str) -> (i64, i64, String) {
    let id = app.subscribe_and_confirm(email).await;
    app.travel_to_next_slot(id).await;
    app.plan().await;
    app.dispatch_all_pending_emails().await;
    let (nudge, track): (i64, String) =
        sqlx::query_as("select id, track from deliveries where kind = 'nudge' and subscriber_id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    (id, nudge, track)
}

/// The answer link tend would mail for a delivery.
async fn answer_link(app: &TestApp, delivery_id: i64) -> String {
    let slot = sqlx::query_scalar("select slot from deliveries where id = $1")
        .bind(delivery_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let keys = Settings::load(None).unwrap().security.link_keys;
    Links::new(&app.address, LinkSigner::new(&keys).unwrap()).answer(delivery_id, slot)
}

/// The track's streak and how many answers it has.
async fn streak_and_answers(app: &TestApp, subscriber_id: i64, track: &str) -> (i32, i64) {
    let streak = sqlx::query_scalar("select streak from subscriber_tracks where subscriber_id = $1 and track = $2")
        .bind(subscriber_id)
        .bind(track)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let answers = app.count(&format!("select count(*) from answers where subscriber_id = {subscriber_id}")).await;
    (streak, answers)
}

async fn answer_all(app: &TestApp, links: &[String], action: &str) -> Vec<Value> {
    let requests = links.iter().map(|link| async move {
        let response = app.post_json(link, &json!({ "action": action })).await;
        assert_eq!(response.status(), 200);
        response.json::<Value>().await.unwrap()
    });
    join_all(requests).await
}

#[sqlx::test]
async fn many_answers_to_one_nudge_at_once_record_one_and_steer_its_track_once(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (id, nudge, track) = first_nudge(&app, "racing@example.com").await;
    let link = answer_link(&app, nudge).await;
    let replies = answer_all(&app, &vec![link; 16], "done").await;
    let recorded = replies.iter().filter(|r| r["recorded"] == true).count();
    assert_eq!(recorded, 1, "{replies:?}");
    assert!(replies.iter().all(|r| r["action"] == "done" && r["answered_at"] == replies[0]["answered_at"]));
    assert_eq!(streak_and_answers(&app, id, &track).await, (1, 1));
}

#[sqlx::test]
async fn answers_to_several_nudges_of_one_track_at_once_through_two_instances_each_steer_it(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let other = spawn_app(pool).await;
    let (id, first, track) = first_nudge(&app, "catching-up@example.com").await;
    // Older nudges of the same track, still open (a subscriber catching up
    // on a week of mail).
    let older: Vec<i64> = sqlx::query_scalar(
        "insert into deliveries (subscriber_id, kind, track, variant, slot, due_at, answer_by, status, sent_at)
         select subscriber_id, kind, track, variant, slot - make_interval(days => n), due_at, answer_by, 'sent', now()
         from deliveries, generate_series(1, 7) as n where id = $1
         returning id",
    )
    .bind(first)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let mut links = vec![answer_link(&app, first).await];
    for (i, nudge) in older.into_iter().enumerate() {
        // Every other answer goes to the second instance.
        let link = answer_link(&app, nudge).await;
        links.push(if i % 2 == 0 { link.replace(&app.address, &other.address) } else { link });
    }
    let replies = answer_all(&app, &links, "done").await;
    assert!(replies.iter().all(|r| r["recorded"] == true), "{replies:?}");
    assert_eq!(streak_and_answers(&app, id, &track).await, (8, 8));
}
