//! Answers arriving at once. Answers are written in batches, each batch one
//! snapshot read and one write fenced on the track rows' versions, so these
//! tests race real requests through two instances of the HTTP server
//! against one PostgreSQL: the first answer to a nudge is the only one
//! recorded and steers its track once, and answers to different nudges of
//! one track each steer it (none is lost to a stale read). And the answer
//! page: it renders from its link and the subscriber's link generation,
//! while links minted before page facts read the nudge. An answer's link
//! generation is checked in its batch's read, so a link switched off
//! after its page opened is still refused.

use chrono::{DateTime, Duration, Utc};
use futures_util::future::join_all;
use serde_json::{Value, json};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use tend::config::Settings;
use tend::domain::{Action, LinkGeneration, LinkSigner, PageFacts, Purpose, Track, variant_fingerprint};
use tend::links::Links;
use tend::mail::Catalog;
use tend::startup::{Application, Roles};
use tokio_util::sync::CancellationToken;

use crate::helpers::{TestApp, spawn_app};

/// Confirms a subscriber and sends their first nudge: (subscriber, nudge id, track).
pub async fn first_nudge(app: &TestApp, email: &str) -> (i64, i64, String) {
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
    let (slot, subscriber_id, track, variant): (DateTime<Utc>, i64, String, String) =
        sqlx::query_as("select slot, subscriber_id, track, variant from deliveries where id = $1")
            .bind(delivery_id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let page =
        PageFacts { subscriber_id, track: Track::parse(&track).unwrap(), variant: variant_fingerprint(&variant) };
    let keys = Settings::load(None).unwrap().security.link_keys;
    Links::new(&app.address, LinkSigner::new(&keys).unwrap()).answer(delivery_id, LinkGeneration::FIRST, slot, &page)
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

#[sqlx::test]
async fn a_link_switched_off_between_its_page_and_its_answer_is_refused_in_the_batch_that_records_another(
    pool: PgPool,
) {
    let app = spawn_app(pool).await;
    let (signed_out, first, track) = first_nudge(&app, "signed-out@example.com").await;
    let (other, second, other_track) = first_nudge(&app, "still-in@example.com").await;
    let [stale, current] = [answer_link(&app, first).await, answer_link(&app, second).await];
    assert_eq!(app.get(&stale).await.status(), 200, "the page opens while the link is current");
    // "Sign out my links" lands after the page and before the answer.
    sqlx::query("update subscribers set link_generation = link_generation + 1 where id = $1")
        .bind(signed_out)
        .execute(&app.pool)
        .await
        .unwrap();
    let done = json!({ "action": "done" });
    let (refused, recorded) = tokio::join!(app.post_json(&stale, &done), app.post_json(&current, &done));
    assert_eq!(refused.status(), 410);
    assert!(refused.json::<Value>().await.unwrap()["error"].as_str().unwrap().contains("switched off"));
    assert_eq!(recorded.status(), 200);
    assert_eq!(recorded.json::<Value>().await.unwrap()["recorded"], true);
    assert_eq!(streak_and_answers(&app, signed_out, &track).await, (0, 0), "the switched-off link wrote nothing");
    assert_eq!(streak_and_answers(&app, other, &other_track).await, (1, 1));
}

#[sqlx::test]
async fn answer_links_minted_before_page_facts_read_the_nudge_and_show_an_earlier_answer(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (_, nudge, _) = first_nudge(&app, "old-link@example.com").await;
    let slot: DateTime<Utc> =
        sqlx::query_scalar("select slot from deliveries where id = $1").bind(nudge).fetch_one(&app.pool).await.unwrap();
    let keys = Settings::load(None).unwrap().security.link_keys;
    let token = LinkSigner::new(&keys).unwrap().sign_layout1(Purpose::Answer, nudge, slot + Duration::days(14));
    let link = format!("/n/{token}");
    assert!(app.get(&link).await.text().await.unwrap().contains("How did it go?"));
    assert_eq!(app.post_form(&link, "action=partly").await.status(), 200);
    let page = app.get(&link).await.text().await.unwrap();
    assert!(page.contains("You already answered “Partly”"), "{page}");
}

/// The page needs the subscriber's link generation: without PostgreSQL it
/// cannot tell a switched-off link from a current one, so it says it cannot
/// answer now rather than show a page a switched-off link must not show.
#[tokio::test]
async fn the_answer_page_fails_clearly_while_postgresql_is_unreachable() {
    // Nothing listens on port 1: every database call fails.
    let pool = PgPoolOptions::new()
        .acquire_timeout(std::time::Duration::from_millis(300))
        .connect_lazy("postgres://postgres@127.0.0.1:1/none")
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let mut settings = Settings::load(None).unwrap();
    settings.http.public_url = address.clone();
    let app = Application::build_with_listener(settings, pool, Some(listener), Roles::WEB).unwrap();
    let shutdown = CancellationToken::new();
    tokio::spawn(app.run_until_stopped(shutdown.clone()));

    let catalog = Catalog::built_in();
    let words = &catalog.variants(Track::Patience)[2];
    let page = PageFacts { subscriber_id: 5, track: Track::Patience, variant: variant_fingerprint(&words.variant) };
    let keys = Settings::load(None).unwrap().security.link_keys;
    let links = Links::new(&address, LinkSigner::new(&keys).unwrap());
    let link = links.answer_with(9, LinkGeneration::FIRST, Utc::now(), &page, Action::Done);
    let client = reqwest::Client::new();
    let response = client.get(&link).send().await.unwrap();
    assert!(response.status().is_server_error(), "{}", response.status());
    let body = response.text().await.unwrap();
    assert!(body.contains("Something went wrong on our side") && !body.contains(&words.subject), "{body}");
    // Answering needs the database too: a clear failure, not a page that lies.
    let answer = client.post(link.split('?').next().unwrap()).form(&[("action", "done")]).send().await.unwrap();
    assert!(answer.status().is_server_error(), "{}", answer.status());
    shutdown.cancel();
}
