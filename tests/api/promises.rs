//! Promises and progress over HTTP and SMTP: a promise's two mails at the
//! right local instants (across a DST change), its answers, the progress
//! page, the weekly summary, sealed text, export and erasure.

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Offset, TimeZone, Utc};
use chrono_tz::Europe::Berlin;
use sqlx::PgPool;

use crate::helpers::{TestApp, spawn_app};

/// A confirmed subscriber in Berlin at 08:30; returns (id, preferences link).
async fn berlin_subscriber(app: &TestApp, email: &str) -> (i64, String) {
    let body = serde_json::json!({"email": email, "timezone": "Europe/Berlin", "time": "08:30", "tracks": ["follow-through", "check-in"]});
    assert_eq!(app.post_json("/subscribe", &body).await.status(), 202);
    app.dispatch_all_pending_emails().await;
    let mail = app.smtp.received_by(email).pop().unwrap();
    let confirm = app.links_in(&mail, "/confirm/").pop().unwrap();
    assert_eq!(app.post_form(&confirm, "").await.status(), 200);
    // The confirm page links nowhere personal; the welcome mail has the preferences link.
    app.dispatch_all_pending_emails().await;
    let welcome = app.smtp.received_by(email).pop().unwrap();
    let link = app.links_in(&welcome, "/me/").pop().expect("a preferences link");
    (app.subscriber_id(email).await, link)
}

/// The next Sunday on which Berlin's clocks change (spring forward or fall
/// back), at least two days away so that the Saturday before is still ahead:
/// never more than about seven months from today.
fn next_dst_sunday_in_berlin() -> NaiveDate {
    let offset_at_noon = |day: NaiveDate| Berlin.from_utc_datetime(&day.and_hms_opt(12, 0, 0).unwrap()).offset().fix();
    let today = Utc::now().with_timezone(&Berlin).date_naive();
    (2..400)
        .map(|n| today + Days::new(n))
        .find(|day| offset_at_noon(*day) != offset_at_noon(*day - Days::new(1)))
        .expect("Berlin changes its clocks twice a year")
}

/// `day` at 08:30 in Berlin, as UTC.
fn berlin_0830(day: NaiveDate) -> DateTime<Utc> {
    let time = NaiveTime::from_hms_opt(8, 30, 0).unwrap();
    Berlin.from_local_datetime(&day.and_time(time)).single().unwrap().with_timezone(&Utc)
}

/// A due date (YYYY-MM-DD) a month from now: valid, whatever today is.
fn in_a_month() -> String {
    (Utc::now() + chrono::Duration::days(30)).format("%Y-%m-%d").to_string()
}

async fn promise_mail_slot(app: &TestApp, kind: &str) -> DateTime<Utc> {
    sqlx::query_scalar("select slot from deliveries where kind = $1::delivery_kind")
        .bind(kind)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// Makes a queued promise mail due now and sends it; returns its /p/ link.
pub(crate) async fn deliver_promise_mail(app: &TestApp, email: &str, kind: &str) -> String {
    sqlx::query("update deliveries set due_at = now() where kind = $1::delivery_kind")
        .bind(kind)
        .execute(&app.pool)
        .await
        .unwrap();
    app.dispatch_all_pending_emails().await;
    let mail = app.smtp.received_by(email).pop().unwrap();
    app.links_in(&mail, "/p/").pop().expect("a promise link").split('?').next().unwrap().to_owned()
}

#[sqlx::test]
async fn a_promise_is_checked_before_and_reviewed_after_at_local_slots_across_dst(pool: PgPool) {
    let app = spawn_app(pool).await;
    let email = "promise@example.com";
    let (_, preferences) = berlin_subscriber(&app, email).await;

    // Due at 18:00 in Berlin on a Sunday its clocks change.
    let sunday = next_dst_sunday_in_berlin();
    let made = app
        .post_form(
            &preferences,
            format!("action=promise&promise=Pick+up+the+kids+from+school&due_date={sunday}&due_time=18%3A00"),
        )
        .await;
    assert_eq!(made.status(), 200);
    assert!(made.text().await.unwrap().contains("Promise noted"));
    // "Still realistic?" the day before at 08:30, "did it happen?" Monday at
    // 08:30, each in the offset of its own day: an hour apart in UTC terms.
    let (check, review) = (berlin_0830(sunday - Days::new(1)), berlin_0830(sunday + Days::new(1)));
    assert_ne!(check.time(), review.time(), "the two slots lie on either side of the change");
    assert_eq!(promise_mail_slot(&app, "promise_check").await, check);
    assert_eq!(promise_mail_slot(&app, "promise_review").await, review);

    // The check mail names no words of the promise; its page does.
    let check = deliver_promise_mail(&app, email, "promise_check").await;
    assert!(!app.smtp.received_by(email).pop().unwrap().decoded().contains("kids"));
    let page = app.get(&check).await.text().await.unwrap();
    assert!(page.contains("Pick up the kids from school") && page.contains("Is it still realistic?"));
    let answered = app.post_form(&check, "answer=say_early").await.text().await.unwrap();
    assert!(answered.contains("Saying it early") && answered.contains("I&#39;m telling you now"), "{answered}");

    // The review feeds the follow-through track.
    let streak_before: i32 = sqlx::query_scalar("select streak from subscriber_tracks where track = 'follow-through'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let review = deliver_promise_mail(&app, email, "promise_review").await;
    assert!(app.get(&review).await.text().await.unwrap().contains("Did it happen?"));
    assert_eq!(app.post_form(&review, "answer=kept").await.status(), 200);
    let again = app.post_form(&review, "answer=not_kept").await.text().await.unwrap();
    assert!(again.contains("the first answer counts"));
    let (streak, outcome): (i32, String) = sqlx::query_as(
        "select t.streak, p.outcome from subscriber_tracks t, promises p where t.track = 'follow-through'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!((streak, outcome.as_str()), (streak_before + 1, "kept"));

    // The progress page shows the record.
    let page = app.get(&preferences).await.text().await.unwrap();
    assert!(page.contains("Kept 1"), "{page}");
}

#[sqlx::test]
async fn promise_text_is_sealed_in_the_database_exported_and_erased(pool: PgPool) {
    let app = spawn_app(pool).await;
    let email = "sealed@example.com";
    let (id, preferences) = berlin_subscriber(&app, email).await;
    let due = (Utc::now() + chrono::Duration::days(3)).format("%Y-%m-%d").to_string();
    app.post_form(&preferences, format!("action=promise&promise=Call+mum+at+lunch&due_date={due}&due_time=12%3A30"))
        .await;
    let readable: i64 = sqlx::query_scalar(
        "select count(*) from promises where position('mum' in encode(text_sealed, 'escape')) > 0 or text_sealed::text like '%mum%'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(readable, 0, "the words are not stored in the clear");
    assert_eq!(app.count("select count(*) from promises").await, 1);

    // Export (the operator's tool) shows the words; forget erases them.
    let run = |args: &[&str]| crate::helpers::tend(&app.pool, args, &[]);
    let export = run(&["subscriber", "export", email]);
    assert!(export.status.success(), "{}", String::from_utf8_lossy(&export.stderr));
    let json: serde_json::Value = serde_json::from_slice(&export.stdout).unwrap();
    assert_eq!(json["promises"][0]["text"], "Call mum at lunch");
    assert!(run(&["subscriber", "forget", email]).status.success());
    assert_eq!(app.count("select count(*) from promises").await, 0);
    assert_eq!(app.count(&format!("select count(*) from deliveries where subscriber_id = {id}")).await, 0);
}

#[sqlx::test]
async fn bad_promises_get_a_clear_message_and_write_nothing(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (_, preferences) = berlin_subscriber(&app, "careful@example.com").await;
    let before = app.count("select count(*) from promises").await;
    for (body, says) in [
        ("action=promise&promise=Fix+the+tap&due_date=2020-01-01&due_time=18%3A00", "already past"),
        ("action=promise&promise=Fix+the+tap&due_date=31.12.2026&due_time=18%3A00", "not a date"),
        (&*format!("action=promise&promise={}&due_date=DUE&due_time=18%3A00", "x".repeat(201)), "200 characters"),
        ("action=promise&promise=&due_date=DUE&due_time=18%3A00", "write down"),
        ("action=promise&promise=Fix+the+tap&due_date=DUE&due_time=late", "time of day"),
        ("action=promise&promise=Fix+the+tap&due_date=DUE&due_time=18%3A00&timezone=Mars%2FBase", "unknown time zone"),
    ] {
        let body = body.replace("DUE", &in_a_month());
        let response = app.post_form(&preferences, body.clone()).await;
        assert_eq!(response.status(), 400, "{body}");
        assert!(response.text().await.unwrap().contains(says), "{body}");
    }
    assert_eq!(app.count("select count(*) from promises").await, before);
}

#[sqlx::test]
async fn the_weekly_summary_goes_once_a_week_only_to_those_who_chose_it(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (wants, preferences) = berlin_subscriber(&app, "weekly@example.com").await;
    let (_, _) = berlin_subscriber(&app, "quiet@example.com").await;
    let page = app.post_form(&preferences, "action=weekly_on").await.text().await.unwrap();
    assert!(page.contains("Stop the weekly summary"));
    let first: DateTime<Utc> = sqlx::query_scalar("select next_summary_at from subscribers where id = $1")
        .bind(wants)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let local = first.with_timezone(&chrono_tz::Europe::Berlin);
    assert_eq!(local.format("%a %H:%M").to_string(), "Sun 08:30");

    // Sunday comes: one summary; planning again in the same week adds none.
    sqlx::query("update subscribers set next_summary_at = now() - interval '1 minute' where id = $1")
        .bind(wants)
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(app.plan().await.summaries_queued, 1);
    assert_eq!(app.plan().await.summaries_queued, 0);
    app.dispatch_all_pending_emails().await;
    let summaries: Vec<_> = app
        .smtp
        .received()
        .into_iter()
        .filter(|m| m.header("Subject").is_some_and(|s| s.contains("Your week")))
        .collect();
    assert_eq!(summaries.len(), 1);
    assert_eq!(summaries[0].to, ["weekly@example.com"]);
    assert!(summaries[0].decoded().contains("quiet week") || summaries[0].decoded().contains("Every small step"));
    let next: DateTime<Utc> = sqlx::query_scalar("select next_summary_at from subscribers where id = $1")
        .bind(wants)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(next > Utc::now() + chrono::Duration::days(5), "next week");

    // Switched off: nothing more, even when due.
    app.post_form(&preferences, "action=weekly_off").await;
    sqlx::query("update subscribers set next_summary_at = now() - interval '1 minute'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(app.plan().await.summaries_queued, 0);
}

#[sqlx::test]
async fn the_progress_page_shows_a_heatmap_that_changes_with_answers(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (id, preferences) = berlin_subscriber(&app, "progress@example.com").await;
    let before = app.get(&preferences).await.text().await.unwrap();
    assert!(before.contains("<svg") && before.contains("no answers in the last 12 weeks yet"));
    app.travel_to_next_slot(id).await;
    app.plan().await;
    app.dispatch_all_pending_emails().await;
    let nudge = app.smtp.received_by("progress@example.com").pop().unwrap();
    let answer = app.links_in(&nudge, "/n/").pop().unwrap().split('?').next().unwrap().to_owned();
    app.post_form(&answer, "action=done").await;
    let after = app.get(&preferences).await.text().await.unwrap();
    assert!(after.contains("in the last 12 weeks, 1 done, 0 partly, 0 not yet."), "{after}");
    assert!(after.contains(": Done</title>"));
}
