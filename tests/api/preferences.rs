//! The preferences page: change time, zone and tracks; pause and resume.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::helpers::{TestApp, spawn_app};

async fn preferences_link(app: &TestApp, email: &str) -> String {
    let id = app.subscribe_and_confirm(email).await;
    app.travel_to_next_slot(id).await;
    app.plan().await;
    app.dispatch_all_pending_emails().await;
    let nudge = app.smtp.received_by(email).pop().unwrap();
    app.links_in(&nudge, "/me/").pop().unwrap()
}

#[sqlx::test]
async fn saving_preferences_moves_the_schedule_to_the_new_time_and_tracks(pool: PgPool) {
    let app = spawn_app(pool).await;
    let link = preferences_link(&app, "prefs@example.com").await;
    let page = app.get(&link).await.text().await.unwrap();
    assert!(page.contains("Your progress") && page.contains("prefs@example.com"));
    let body = "action=save&timezone=America%2FNew_York&time=19%3A45&max_per_day=2&tracks=check-in&tracks=support";
    let saved = app.post_form(&link, body).await;
    assert_eq!(saved.status(), 200);
    assert!(saved.text().await.unwrap().contains("Saved."));
    let rows: Vec<(String, bool, Option<DateTime<Utc>>)> =
        sqlx::query_as("select track, enabled, next_due_at from subscriber_tracks order by track")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    let ny = chrono_tz::America::New_York;
    for (track, enabled, due) in rows {
        let wanted = track == "check-in" || track == "support";
        assert_eq!(enabled, wanted, "{track}");
        match due {
            Some(due) => {
                assert!(wanted, "{track} is off but scheduled");
                assert_eq!(due.with_timezone(&ny).format("%H:%M").to_string(), "19:45", "{track}");
            }
            None => assert!(!wanted, "{track} is on but not scheduled"),
        }
    }
    let (zone, max): (String, i16) =
        sqlx::query_as("select timezone, max_per_day from subscribers").fetch_one(&app.pool).await.unwrap();
    assert_eq!((zone.as_str(), max), ("America/New_York", 2));
}

#[sqlx::test]
async fn bad_preferences_are_refused_and_change_nothing(pool: PgPool) {
    let app = spawn_app(pool).await;
    let link = preferences_link(&app, "badprefs@example.com").await;
    let before: Vec<(String, bool, Option<DateTime<Utc>>)> =
        sqlx::query_as("select track, enabled, next_due_at from subscriber_tracks order by track")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    for body in [
        "action=save&timezone=Nowhere&time=08%3A00&tracks=check-in",
        "action=save&timezone=UTC&time=8pm&tracks=check-in",
        "action=save&timezone=UTC&time=08%3A00",
        "action=save&timezone=UTC&time=08%3A00&tracks=check-in&max_per_day=50",
        "action=explode",
    ] {
        assert_eq!(app.post_form(&link, body).await.status(), 400, "{body}");
    }
    let after: Vec<(String, bool, Option<DateTime<Utc>>)> =
        sqlx::query_as("select track, enabled, next_due_at from subscriber_tracks order by track")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(before, after);
}

#[sqlx::test]
async fn pausing_stops_everything_and_resuming_starts_at_the_next_slot(pool: PgPool) {
    let app = spawn_app(pool).await;
    let link = preferences_link(&app, "break@example.com").await;
    // A nudge already queued for later is cancelled by the pause.
    let id = app.subscriber_id("break@example.com").await;
    sqlx::query("insert into deliveries (subscriber_id, kind, track, variant, slot, due_at) values ($1, 'nudge', 'support', 'x', now() + interval '1 hour', now() + interval '1 hour')")
        .bind(id)
        .execute(&app.pool)
        .await
        .unwrap();
    let paused = app.post_form(&link, "action=pause").await.text().await.unwrap();
    assert!(paused.contains("Paused.") && paused.contains("Resume my nudges"));
    assert_eq!(app.status_of("break@example.com").await.as_deref(), Some("paused"));
    assert_eq!(app.count("select count(*) from deliveries where status = 'pending'").await, 0);
    assert_eq!(app.count("select count(*) from subscriber_tracks where next_due_at is not null").await, 0);

    let resumed = app.post_form(&link, "action=resume").await.text().await.unwrap();
    assert!(resumed.contains("Welcome back"));
    assert_eq!(app.status_of("break@example.com").await.as_deref(), Some("active"));
    let scheduled: Vec<DateTime<Utc>> = sqlx::query_scalar("select next_due_at from subscriber_tracks where enabled")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert_eq!(scheduled.len(), 3);
    assert!(scheduled.iter().all(|d| *d > Utc::now() && d.format("%H:%M").to_string() == "08:30"));
}
