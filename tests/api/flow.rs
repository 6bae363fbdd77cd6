//! The whole journey: subscribe, confirm, a nudge at the slot, answer it,
//! unsubscribe with one click, and silence afterwards.

use chrono::{DateTime, Duration, NaiveTime, Timelike, Utc};
use sqlx::PgPool;

use crate::helpers::{form_for, spawn_app, urlencode};

#[sqlx::test]
async fn a_subscriber_walks_the_whole_flow_and_hears_nothing_after_unsubscribing(pool: PgPool) {
    let app = spawn_app(pool).await;

    // Subscribe: a page, a pending row, one confirmation mail.
    let response = app.subscribe("ana@example.com").await;
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("Check your inbox"));
    assert_eq!(app.status_of("ana@example.com").await.as_deref(), Some("pending"));
    app.dispatch_all_pending_emails().await;
    let confirmation = app.smtp.received_by("ana@example.com").pop().expect("confirmation mail");
    assert!(confirmation.header("Subject").unwrap().contains("confirm"));
    let confirm = app.links_in(&confirmation, "/confirm/").pop().expect("confirm link");

    // GET only shows a button.
    let page = app.get(&confirm).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("<button type=\"submit\">Confirm</button>"));
    assert_eq!(app.head(&confirm).await.status(), 200);
    assert_eq!(app.status_of("ana@example.com").await.as_deref(), Some("pending"));

    // POST activates and schedules the default tracks at the first 08:30 UTC slot.
    let confirmed = app.post_form(&confirm, "").await;
    assert_eq!(confirmed.status(), 200);
    assert!(confirmed.text().await.unwrap().contains("Your next nudge arrives on"));
    assert_eq!(app.status_of("ana@example.com").await.as_deref(), Some("active"));
    let id = app.subscriber_id("ana@example.com").await;
    let due: Vec<DateTime<Utc>> =
        sqlx::query_scalar("select next_due_at from subscriber_tracks where subscriber_id = $1 and enabled")
            .bind(id)
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(due.len(), 3, "three tracks on by default");
    let now: DateTime<Utc> = sqlx::query_scalar("select now()").fetch_one(&app.pool).await.unwrap();
    for slot in &due {
        assert_eq!(slot.time(), NaiveTime::from_hms_opt(8, 30, 0).unwrap());
        assert!(*slot > now && *slot <= now + Duration::days(1), "the first slot after confirming");
    }

    // Nothing goes out before the slot.
    assert_eq!(app.plan().await.nudges_queued, 0);

    // At the slot: exactly one nudge (one per local day), with every link and header.
    app.travel_to_next_slot(id).await;
    assert_eq!(app.plan().await.nudges_queued, 1);
    app.dispatch_all_pending_emails().await;
    let mails = app.smtp.received_by("ana@example.com");
    let nudges: Vec<_> = mails.iter().filter(|m| !app.links_in(m, "/n/").is_empty()).collect();
    assert_eq!(nudges.len(), 1, "one nudge at the slot");
    let nudge = mails.last().unwrap();
    for header in ["Message-ID", "List-Unsubscribe", "List-Unsubscribe-Post", "List-Id", "Auto-Submitted"] {
        assert!(nudge.header(header).is_some(), "{header} missing");
    }
    assert_eq!(nudge.header("List-Unsubscribe-Post").unwrap(), "List-Unsubscribe=One-Click");
    assert_eq!(nudge.header("Auto-Submitted").unwrap(), "auto-generated");
    assert!(nudge.header("Content-Type").unwrap().contains("multipart/alternative"));
    // English text and markup are ASCII in lines far under 998 octets: both
    // parts go as written, without quoted-printable (BENCHMARKS.md finding 17).
    assert_eq!(nudge.data.matches("Content-Transfer-Encoding: 7bit").count(), 2, "{}", nudge.data);
    let answers = app.links_in(nudge, "/n/");
    for action in ["done", "partly", "not_yet", "snooze", "pause_track"] {
        assert!(answers.iter().any(|l| l.ends_with(&format!("?a={action}"))), "{action} link missing");
    }
    assert_eq!(app.links_in(nudge, "/me/").len(), 1, "a preferences link");
    let unsubscribe = app.links_in(nudge, "/unsubscribe/").pop().expect("unsubscribe link");
    assert_eq!(nudge.header("List-Unsubscribe").unwrap(), format!("<{unsubscribe}>"));

    // Opening an answer link shows the nudge and records nothing.
    let done_link = answers.iter().find(|l| l.ends_with("?a=done")).unwrap().clone();
    let page = app.get(&done_link).await.text().await.unwrap();
    assert!(page.contains("How did it go?"));
    assert_eq!(app.count("select count(*) from answers").await, 0);

    // The POST records the answer and says when the track comes next.
    let answer_url = done_link.split('?').next().unwrap().to_owned();
    let answered = app.post_form(&answer_url, "action=done").await;
    assert_eq!(answered.status(), 200);
    let body = answered.text().await.unwrap();
    assert!(body.contains("Well done") && body.contains("nudge comes on"), "{body}");
    assert_eq!(app.count("select count(*) from answers where action = 'done'").await, 1);

    // The first answer counts; a second shows what was recorded.
    let again = app.post_form(&answer_url, "action=not_yet").await.text().await.unwrap();
    assert!(again.contains("You already answered “Done”"), "{again}");
    assert_eq!(app.count("select count(*) from answers where action = 'done'").await, 1);
    assert_eq!(app.count("select count(*) from answers").await, 1);

    // RFC 8058 one-click: a POST with the standard body, no cookie, no redirect.
    let response = app
        .client
        .post(&unsubscribe)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("location").is_none() && response.headers().get("set-cookie").is_none());
    assert_eq!(app.status_of("ana@example.com").await.as_deref(), Some("unsubscribed"));

    // Silence: nothing is planned or sent any more.
    sqlx::query("update subscriber_tracks set next_due_at = now() - interval '1 minute' where subscriber_id = $1")
        .bind(id)
        .execute(&app.pool)
        .await
        .unwrap();
    let before = app.smtp.received_by("ana@example.com").len();
    app.plan().await;
    app.dispatch_all_pending_emails().await;
    assert_eq!(app.smtp.received_by("ana@example.com").len(), before);
}

#[sqlx::test]
async fn subscribe_answers_the_same_for_new_pending_active_and_unsubscribed_addresses(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.subscribe_and_confirm("active@example.com").await;
    app.subscribe("pending@example.com").await;
    app.subscribe_and_confirm("gone@example.com").await;
    let gone = app.subscriber_id("gone@example.com").await;
    tend::subscriptions::unsubscribe(&app.pool, gone).await.unwrap();
    let mails_before = app.smtp.received_by("gone@example.com").len();

    let mut pages = Vec::new();
    for email in ["new@example.com", "pending@example.com", "active@example.com", "gone@example.com"] {
        let response = app.subscribe(email).await;
        pages.push((response.status(), response.text().await.unwrap()));
    }
    assert!(pages.windows(2).all(|w| w[0] == w[1]), "every answer is identical");
    // The active subscriber is untouched; the one who left stays unsubscribed
    // until they press the new confirmation.
    assert_eq!(app.status_of("active@example.com").await.as_deref(), Some("active"));
    assert_eq!(app.status_of("gone@example.com").await.as_deref(), Some("unsubscribed"));
    app.dispatch_all_pending_emails().await;
    assert_eq!(app.smtp.received_by("gone@example.com").len(), mails_before + 1, "a new confirmation");
    let again = app.smtp.received_by("gone@example.com").pop().unwrap();
    let confirm = app.links_in(&again, "/confirm/").pop().unwrap();
    assert_eq!(app.post_form(&confirm, "").await.status(), 200);
    assert_eq!(app.status_of("gone@example.com").await.as_deref(), Some("active"));
}

#[sqlx::test]
async fn an_address_gets_at_most_three_confirmation_mails_a_day(pool: PgPool) {
    let app = spawn_app(pool).await;
    for _ in 0..10 {
        assert_eq!(app.subscribe("flood@example.com").await.status(), 200);
    }
    app.dispatch_all_pending_emails().await;
    assert_eq!(app.smtp.received_by("flood@example.com").len(), 3);
    assert_eq!(app.count("select count(*) from subscribers").await, 1);
}

#[sqlx::test]
async fn json_clients_get_json_answers(pool: PgPool) {
    let app = spawn_app(pool).await;
    let response = app
        .post_json(
            "/subscribe",
            &serde_json::json!({"email": "json@example.com", "timezone": "Europe/Berlin", "time": "07:15", "tracks": ["support", "patience"]}),
        )
        .await;
    assert_eq!(response.status(), 202);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "check_your_inbox");
    let tracks: Vec<String> = sqlx::query_scalar("select track from subscriber_tracks where enabled order by track")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert_eq!(tracks, ["patience", "support"]);
    let time: NaiveTime = sqlx::query_scalar("select send_time from subscribers").fetch_one(&app.pool).await.unwrap();
    assert_eq!((time.hour(), time.minute()), (7, 15));
}

#[sqlx::test]
async fn a_bot_filling_the_hidden_field_gets_the_usual_page_and_nothing_happens(pool: PgPool) {
    let app = spawn_app(pool).await;
    let body = format!("{}&website={}", form_for("bot@example.com"), urlencode("http://spam.example"));
    let response = app.post_form("/subscribe", body).await;
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("Check your inbox"));
    assert_eq!(app.snapshot().await, [0, 0, 0, 0]);
}
