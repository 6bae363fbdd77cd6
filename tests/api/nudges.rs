//! Planning and answering nudges: one a day, idempotent planning, snooze,
//! pausing a track, stale slots, and fenced delivery records.

use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;

use crate::helpers::{TestApp, spawn_app};

async fn next_due(app: &TestApp, id: i64, track: &str) -> Option<DateTime<Utc>> {
    sqlx::query_scalar("select next_due_at from subscriber_tracks where subscriber_id = $1 and track = $2")
        .bind(id)
        .bind(track)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// Confirms a subscriber, brings their first slot to now and sends the nudge.
async fn first_nudge(app: &TestApp, email: &str) -> (i64, String) {
    let id = app.subscribe_and_confirm(email).await;
    app.travel_to_next_slot(id).await;
    app.plan().await;
    app.dispatch_all_pending_emails().await;
    let nudge = app.smtp.received_by(email).pop().unwrap();
    let link = app.links_in(&nudge, "/n/").pop().unwrap();
    (id, link.split('?').next().unwrap().to_owned())
}

#[sqlx::test]
async fn the_most_overdue_track_goes_first_and_the_others_move_to_the_next_day(pool: PgPool) {
    let app = spawn_app(pool).await;
    let id = app.subscribe_and_confirm("day@example.com").await;
    sqlx::query(
        "update subscriber_tracks set next_due_at = now() - interval '10 minutes' where track = 'transparency'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    sqlx::query(
        "update subscriber_tracks set next_due_at = now() - interval '5 minutes' where track <> 'transparency'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    assert_eq!(app.plan().await.nudges_queued, 1);
    let planned: String =
        sqlx::query_scalar("select track from deliveries where kind = 'nudge'").fetch_one(&app.pool).await.unwrap();
    assert_eq!(planned, "transparency");
    // transparency comes back after its 1-day interval; the others tomorrow at 08:30.
    let tomorrow = next_due(&app, id, "check-in").await.unwrap();
    assert_eq!(next_due(&app, id, "follow-through").await.unwrap(), tomorrow);
    assert!(tomorrow > Utc::now() && tomorrow - Utc::now() < Duration::days(2));
}

#[sqlx::test]
async fn planning_twice_plans_each_nudge_once(pool: PgPool) {
    let app = spawn_app(pool).await;
    let id = app.subscribe_and_confirm("twice@example.com").await;
    app.travel_to_next_slot(id).await;
    // Rewind the schedule after the first sweep, as a second instance with a
    // stale view would see it: the unique key still refuses a second row.
    let before: Vec<(String, Option<DateTime<Utc>>)> =
        sqlx::query_as("select track, next_due_at from subscriber_tracks").fetch_all(&app.pool).await.unwrap();
    assert_eq!(app.plan().await.nudges_queued, 1);
    for (track, due) in before {
        sqlx::query("update subscriber_tracks set next_due_at = $1 where track = $2")
            .bind(due)
            .bind(track)
            .execute(&app.pool)
            .await
            .unwrap();
    }
    app.plan().await;
    assert_eq!(app.count("select count(*) from deliveries where kind = 'nudge'").await, 1);
}

#[sqlx::test]
async fn snooze_brings_the_same_nudge_back_at_least_twenty_hours_later(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (id, answer) = first_nudge(&app, "snooze@example.com").await;
    let (track, variant): (String, String) =
        sqlx::query_as("select track, variant from deliveries where kind = 'nudge'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let response = app.post_form(&answer, "action=snooze").await;
    assert_eq!(response.status(), 200);
    let due = next_due(&app, id, &track).await.unwrap();
    assert!(due - Utc::now() >= Duration::hours(20) - Duration::minutes(1), "{due}");
    assert!(due - Utc::now() <= Duration::hours(44));
    // When it comes round, it is the same text again.
    sqlx::query("update subscriber_tracks set next_due_at = now() where subscriber_id = $1 and track = $2")
        .bind(id)
        .bind(&track)
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query("update deliveries set slot = slot - interval '1 day'").execute(&app.pool).await.unwrap();
    app.plan().await;
    let variants: Vec<String> =
        sqlx::query_scalar("select variant from deliveries where kind = 'nudge' and track = $1 order by id")
            .bind(&track)
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(variants, [variant.clone(), variant]);
}

#[sqlx::test]
async fn pausing_a_track_stops_it_and_the_page_says_so(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (id, answer) = first_nudge(&app, "pause@example.com").await;
    let track: String =
        sqlx::query_scalar("select track from deliveries where kind = 'nudge'").fetch_one(&app.pool).await.unwrap();
    let body = app.post_form(&answer, "action=pause_track").await.text().await.unwrap();
    assert!(body.contains("This track is paused"), "{body}");
    let enabled: bool =
        sqlx::query_scalar("select enabled from subscriber_tracks where subscriber_id = $1 and track = $2")
            .bind(id)
            .bind(&track)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(!enabled);
    assert_eq!(next_due(&app, id, &track).await, None);
}

#[sqlx::test]
async fn answers_are_json_for_json_clients(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (_, answer) = first_nudge(&app, "json-answer@example.com").await;
    let response = app.post_json(&answer, &serde_json::json!({"action": "partly"})).await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["recorded"], true);
    assert_eq!(body["action"], "partly");
    assert!(body["next_due"].is_string());
    let again: serde_json::Value =
        app.post_json(&answer, &serde_json::json!({"action": "done"})).await.json().await.unwrap();
    assert_eq!(again["recorded"], false);
    assert_eq!(again["action"], "partly");
}

#[sqlx::test]
async fn a_slot_missed_by_more_than_stale_after_waits_for_the_next_slot(pool: PgPool) {
    let app = spawn_app(pool).await;
    let id = app.subscribe_and_confirm("late@example.com").await;
    sqlx::query("update subscriber_tracks set next_due_at = now() - interval '5 hours' where subscriber_id = $1")
        .bind(id)
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(app.plan().await.nudges_queued, 0);
    let due = next_due(&app, id, "check-in").await.unwrap();
    assert!(due > Utc::now());
    assert_eq!(due.format("%H:%M").to_string(), "08:30");
}

#[sqlx::test]
async fn a_sender_that_lost_its_lease_cannot_overwrite_the_new_claim(pool: PgPool) {
    use tend::store::deliveries::{Fence, claim_due, mark_sent};
    let app = spawn_app(pool).await;
    app.subscribe("lease@example.com").await;
    let claimed = claim_due(&app.pool, "worker-a", 10, Duration::seconds(60)).await.unwrap();
    assert_eq!(claimed.len(), 1);
    // The lease runs out and the rescue hands the row to worker-b.
    sqlx::query("update delivery_queue set lease_expires_at = now() - interval '1 second'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(tend::store::deliveries::rescue_expired_leases(&app.pool).await.unwrap(), 1);
    let again = claim_due(&app.pool, "worker-b", 10, Duration::seconds(60)).await.unwrap();
    assert_eq!(again[0].attempt(), 2);
    let stale = Fence { id: claimed[0].id(), attempt: claimed[0].attempt(), owner: "worker-a" };
    assert!(!mark_sent(&app.pool, stale, 250, "late").await.unwrap());
    let current = Fence { id: again[0].id(), attempt: again[0].attempt(), owner: "worker-b" };
    assert!(mark_sent(&app.pool, current, 250, "ok").await.unwrap());
    assert_eq!(app.count("select count(*) from deliveries where status = 'sent'").await, 1);
}
