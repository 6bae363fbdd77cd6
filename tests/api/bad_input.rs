//! Bad input gets a clear 4xx (page or JSON) and writes nothing.

use chrono::{Duration, Utc};
use serde_json::json;
use sqlx::PgPool;
use tend::domain::{LinkSigner, Purpose};

use crate::helpers::{spawn_app, token, urlencode};

#[sqlx::test]
async fn malformed_subscribe_forms_are_refused_by_field_and_write_nothing(pool: PgPool) {
    let app = spawn_app(pool).await;
    let cases = [
        ("email=not-an-email&timezone=UTC&time=08%3A30", "email"),
        ("email=&timezone=UTC", "email"),
        ("timezone=UTC", "email"),
        ("email=a%0D%0ABcc%3Ax%40y.z%40b.co&timezone=UTC", "email"),
        ("email=a%40b.co&timezone=Mars%2FOlympus", "timezone"),
        ("email=a%40b.co&timezone=UTC&time=25%3A00", "time"),
        ("email=a%40b.co&timezone=UTC&time=noon", "time"),
        ("email=a%40b.co&timezone=UTC&tracks=gardening", "tracks"),
        ("email=a%40b.co&timezone=UTC&tracks=", "tracks"),
    ];
    for (body, field) in cases {
        let response = app.post_form("/subscribe", body).await;
        assert_eq!(response.status(), 400, "{body}");
        let page = response.text().await.unwrap();
        assert!(page.contains("Please check the form"), "{body}: {page}");
        let json: serde_json::Value = app
            .client
            .post(app.url("/subscribe"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(json["field"], field, "{body}");
        assert!(json["error"].as_str().is_some_and(|e| !e.is_empty()));
    }
    assert_eq!(app.snapshot().await, [0, 0, 0, 0]);
}

#[sqlx::test]
async fn malformed_json_is_refused_with_json(pool: PgPool) {
    let app = spawn_app(pool).await;
    for (body, field) in [
        (json!({"email": "x"}), "email"),
        (json!({"email": "a@b.co", "timezone": "Nowhere/Town"}), "timezone"),
        (json!({"email": "a@b.co", "tracks": ["check-in", 3]}), "tracks"),
        (json!({"email": {"nested": true}}), "email"),
        (json!(["not", "an", "object"]), "body"),
    ] {
        let response = app.post_json("/subscribe", &body).await;
        assert_eq!(response.status(), 400, "{body}");
        let answer: serde_json::Value = response.json().await.unwrap();
        assert_eq!(answer["field"], field, "{body}");
    }
    let response = app
        .client
        .post(app.url("/subscribe"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(app.snapshot().await, [0, 0, 0, 0]);
}

#[sqlx::test]
async fn oversized_bodies_long_fields_and_odd_content_types_are_refused(pool: PgPool) {
    let app = spawn_app(pool).await;
    let huge = format!("email={}", "a".repeat(100_000));
    assert_eq!(app.post_form("/subscribe", huge).await.status(), 413);
    let long = format!("email={}%40example.com&timezone=UTC", "a".repeat(600));
    assert_eq!(app.post_form("/subscribe", long).await.status(), 400);
    let xml =
        app.client.post(app.url("/subscribe")).header("content-type", "text/xml").body("<x/>").send().await.unwrap();
    assert_eq!(xml.status(), 415);
    let nul = format!("email={}&timezone=UTC", urlencode("a\0b@example.com"));
    assert_eq!(app.post_form("/subscribe", nul).await.status(), 400);
    assert_eq!(app.snapshot().await, [0, 0, 0, 0]);
}

#[sqlx::test]
async fn forged_tampered_expired_and_cross_purpose_links_show_the_invalid_link_page(pool: PgPool) {
    let app = spawn_app(pool).await;
    let id = app.subscribe_and_confirm("links@example.com").await;
    let before = app.snapshot().await;
    let real_key = LinkSigner::new(&["development-only-link-key-change-me-in-production".to_owned().into()]).unwrap();
    let forger = LinkSigner::new(&["not-our-key".to_owned().into()]).unwrap();
    let soon = Utc::now() + Duration::days(1);
    let unsubscribe = token(&real_key, Purpose::Unsubscribe, id, soon);
    let mut tampered = unsubscribe.clone().into_bytes();
    tampered[3] = if tampered[3] == b'a' { b'b' } else { b'a' };
    let garbage = [
        token(&forger, Purpose::Unsubscribe, id, soon),
        String::from_utf8(tampered).unwrap(),
        unsubscribe[..30].to_owned(),
        "%00%0D%0A".to_owned(),
        "x".repeat(5000),
    ];
    let routes = [
        ("unsubscribe", Purpose::Unsubscribe),
        ("confirm", Purpose::Confirm),
        ("n", Purpose::Answer),
        ("me", Purpose::Preferences),
    ];
    for (path, purpose) in routes {
        let mut tokens = garbage.to_vec();
        // Expired, for this very purpose.
        tokens.push(token(&real_key, purpose, id, Utc::now() - Duration::seconds(1)));
        // Valid signature, wrong purpose.
        tokens.extend(routes.iter().filter(|(_, p)| *p != purpose).map(|(_, p)| token(&real_key, *p, id, soon)));
        for token in tokens {
            let url = format!("/{path}/{token}");
            let get = app.get(&url).await;
            assert_eq!(get.status(), 404, "GET {url}");
            assert!(get.text().await.unwrap().contains("This link is not valid or has expired."));
            assert_eq!(app.post_form(&url, "action=done").await.status(), 404, "POST {url}");
        }
    }
    // The preferences token opens preferences, not unsubscribe.
    assert_eq!(app.get(&format!("/me/{}", token(&real_key, Purpose::Preferences, id, soon))).await.status(), 200);
    assert_eq!(app.snapshot().await, before);
    assert_eq!(app.status_of("links@example.com").await.as_deref(), Some("active"));
}

#[sqlx::test]
async fn unknown_answers_wrong_methods_and_unknown_pages_get_clear_errors(pool: PgPool) {
    let app = spawn_app(pool).await;
    let id = app.subscribe_and_confirm("method@example.com").await;
    app.travel_to_next_slot(id).await;
    app.plan().await;
    app.dispatch_all_pending_emails().await;
    let nudge = app.smtp.received_by("method@example.com").pop().unwrap();
    let answer = app.links_in(&nudge, "/n/").pop().unwrap();
    let answer = answer.split('?').next().unwrap();
    let before = app.snapshot().await;
    for body in ["action=delete", "action=", "", "action=done%00"] {
        assert_eq!(app.post_form(answer, body).await.status(), 400, "{body}");
    }
    let put = app.client.put(app.url("/subscribe")).body("x").send().await.unwrap();
    assert_eq!(put.status(), 405);
    assert!(put.text().await.unwrap().contains("does not accept"));
    assert_eq!(app.client.delete(answer).send().await.unwrap().status(), 405);
    assert_eq!(app.get("/no/such/page").await.status(), 404);
    let json_404 = app.client.get(app.url("/nope")).header("accept", "application/json").send().await.unwrap();
    assert_eq!(json_404.status(), 404);
    assert!(json_404.json::<serde_json::Value>().await.unwrap()["error"].is_string());
    assert_eq!(app.snapshot().await, before);
}

/// Values that break naive code: line breaks, NUL, control characters,
/// non-ASCII, very long input, markup.
fn nasty_values() -> Vec<String> {
    vec![
        "a\r\nBcc: victim@example.com".into(),
        "line\nbreak".into(),
        "nul\0byte".into(),
        "bell\u{7}".into(),
        "ünïcödé@exämple.com".into(),
        "日本語".into(),
        "\u{202e}reversed".into(),
        "x".repeat(600),
        "<script>alert(1)</script>".into(),
        "' or 1=1 --".into(),
        String::new(),
    ]
}

#[sqlx::test]
async fn nasty_input_in_every_field_gets_a_4xx_or_a_normal_answer_never_a_500(pool: PgPool) {
    let app = spawn_app(pool).await;
    let id = app.subscribe_and_confirm("fields@example.com").await;
    app.travel_to_next_slot(id).await;
    app.plan().await;
    app.dispatch_all_pending_emails().await;
    let nudge = app.smtp.received_by("fields@example.com").pop().unwrap();
    let answer = app.links_in(&nudge, "/n/").pop().unwrap().split('?').next().unwrap().to_owned();
    let preferences = app.links_in(&nudge, "/me/").pop().unwrap();

    let subscribe_base = [("email", "new@example.com"), ("timezone", "UTC"), ("time", "08:30"), ("tracks", "check-in")];
    let preferences_base =
        [("action", "save"), ("timezone", "UTC"), ("time", "08:30"), ("tracks", "check-in"), ("max_per_day", "1")];
    let forms: [(&str, &[(&str, &str)]); 3] = [
        ("/subscribe", &subscribe_base),
        (answer.as_str(), &[("action", "done")]),
        (preferences.as_str(), &preferences_base),
    ];
    for (url, base) in forms {
        for field in base.iter().map(|(k, _)| *k) {
            for nasty in nasty_values() {
                let body: String = base
                    .iter()
                    .map(|(k, v)| format!("{k}={}", urlencode(if *k == field { &nasty } else { v })))
                    .collect::<Vec<_>>()
                    .join("&");
                let before = app.snapshot().await;
                let response = app.post_form(url, body.clone()).await;
                let status = response.status().as_u16();
                let page = response.text().await.unwrap();
                assert!(matches!(status, 200 | 400), "{url} {field}={nasty:?}: {status}");
                assert!(!page.contains("<script>alert"), "input is escaped on every page");
                if status == 400 {
                    assert_eq!(app.snapshot().await, before, "{url} {field}: a refused request wrote something");
                }
            }
        }
    }
    // The person's header-bound data never picked up a line break.
    let emails: Vec<String> = sqlx::query_scalar("select email from subscribers").fetch_all(&app.pool).await.unwrap();
    assert!(emails.iter().all(|e| !e.chars().any(char::is_control)), "{emails:?}");
}

#[sqlx::test]
async fn a_token_rewritten_to_name_another_subscriber_is_refused(pool: PgPool) {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let app = spawn_app(pool).await;
    app.subscribe_and_confirm("alice@example.com").await;
    let bob = app.subscribe_and_confirm("bob@example.com").await;
    let mail = app.smtp.received_by("alice@example.com").pop().unwrap();
    let alices = app.links_in(&mail, "/unsubscribe/").pop().unwrap();
    let token = alices.rsplit('/').next().unwrap();
    // Keep Alice's signature, swap in Bob's id: the signature no longer matches.
    let mut bytes = URL_SAFE_NO_PAD.decode(token).unwrap();
    bytes[1..9].copy_from_slice(&bob.to_be_bytes());
    let forged = format!("/unsubscribe/{}", URL_SAFE_NO_PAD.encode(&bytes));
    assert_eq!(app.post_form(&forged, "List-Unsubscribe=One-Click").await.status(), 404);
    assert_eq!(app.status_of("bob@example.com").await.as_deref(), Some("active"));
    assert_eq!(app.status_of("alice@example.com").await.as_deref(), Some("active"));
}

/// Inputs found by the fuzzers (`tests/fuzz`, seeds in
/// `tests/fuzz/regressions/`) and the edges around them, over TCP: a clear
/// 400 naming the field, never a 500 or a dropped connection, nothing written.
#[sqlx::test]
async fn dates_at_the_end_of_the_calendar_get_a_400_never_a_500_or_a_dropped_connection(pool: PgPool) {
    let app = spawn_app(pool).await;
    let id = app.subscribe_and_confirm("edges@example.com").await;
    let key = LinkSigner::new(&[tend::config::DEVELOPMENT_LINK_KEY.to_owned().into()]).unwrap();
    let preferences = format!("/me/{}", token(&key, Purpose::Preferences, id, Utc::now() + Duration::days(1)));
    let before = app.snapshot().await;
    for (date, time, zone) in [
        // The panic: the last day chrono knows, in a zone behind UTC.
        ("+262142-12-31", "18:00", "Pacific/Kiritimati"),
        ("+262142-12-31", "14:00", "America/Adak"),
        ("+262142-12-31", "23:59", "US/Samoa"),
        ("+262143-01-01", "00:00", "UTC"),
        ("-262143-01-01", "00:00", "Asia/Tokyo"),
        ("9999-12-31", "23:59", "America/Adak"),
        ("0999-12-31", "23:59", "Pacific/Kiritimati"),
        ("10000-01-01", "00:00", "UTC"),
    ] {
        let body = format!(
            "action=promise&promise=call%20at%20lunch&due_date={}&due_time={}&timezone={}",
            urlencode(date),
            urlencode(time),
            urlencode(zone)
        );
        let response = app
            .client
            .post(app.url(&preferences))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(body)
            .send()
            .await
            .expect("an answer, not a dropped connection");
        assert_eq!(response.status(), 400, "{date} {time} {zone}");
        let answer: serde_json::Value = response.json().await.unwrap();
        assert_eq!(answer["field"], "due_date", "{date} {time} {zone}: {answer}");
    }
    assert_eq!(app.snapshot().await, before);
}

/// Everything about the subscriber a refused request must leave alone.
async fn person(app: &crate::helpers::TestApp) -> ([i64; 4], Vec<(String, bool, i32)>) {
    let rows = sqlx::query_as("select status, discreet, link_generation from subscribers order by id")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    (app.snapshot().await, rows)
}

#[sqlx::test]
async fn unknown_actions_switched_off_links_and_discreet_maybe_are_refused_and_write_nothing(pool: PgPool) {
    let app = spawn_app(pool).await;
    let email = "refused@example.com";
    let (id, nudge) = app.confirmed_with_first_nudge(email, &crate::helpers::form_for(email)).await;
    let answer = app.links_in(&nudge, "/n/").pop().unwrap().split('?').next().unwrap().to_owned();
    let preferences = app.links_in(&nudge, "/me/").pop().unwrap();
    let forger = LinkSigner::new(&["not-our-key".to_owned().into()]).unwrap();
    let forged = format!("/me/{}", token(&forger, Purpose::Preferences, id, Utc::now() + Duration::days(1)));
    let save = "action=save&timezone=UTC&time=08%3A30&tracks=check-in";
    let before = person(&app).await;
    let cases = [
        (preferences.clone(), "action=frobnicate".to_owned(), 400, Some("action")),
        (preferences.clone(), format!("{save}&discreet=maybe"), 400, Some("discreet")),
        (preferences.clone(), format!("{save}&discreet=on&discreet=maybe"), 400, Some("discreet")),
        (answer.clone(), "action=frobnicate".to_owned(), 400, Some("action")),
        ("/subscribe".to_owned(), "email=new%40example.com&discreet=maybe".to_owned(), 400, Some("discreet")),
        ("/link".to_owned(), "email=not-an-address".to_owned(), 400, Some("email")),
        (forged.clone(), "action=sign_out_links".to_owned(), 404, None),
    ];
    for (url, body, status, field) in &cases {
        let page = app.post_form(url, body.clone()).await;
        assert_eq!(page.status(), *status, "{url} {body}");
        assert!(!page.text().await.unwrap().is_empty(), "a page that says what is wrong");
        let fields: serde_json::Map<String, serde_json::Value> =
            form_urlencoded::parse(body.as_bytes()).map(|(k, v)| (k.into_owned(), json!(v))).collect();
        let reply = app.post_json(url, &serde_json::Value::Object(fields)).await;
        assert_eq!(reply.status(), *status, "JSON {url} {body}");
        let reply: serde_json::Value = reply.json().await.unwrap();
        assert!(reply["error"].is_string(), "{reply}");
        assert_eq!(reply["field"].as_str(), *field, "{url} {body}");
    }
    assert_eq!(person(&app).await, before, "a refused request wrote nothing");

    // A genuine link of an earlier generation: 410, page and JSON, nothing written.
    let signed_out = app.post_form(&preferences, "action=sign_out_links").await;
    assert_eq!(signed_out.status(), 200);
    let before = person(&app).await;
    for body in [format!("{save}&discreet=on"), "action=sign_out_links".to_owned(), "action=delete".to_owned()] {
        assert_eq!(app.post_form(&preferences, body.clone()).await.status(), 410, "{body}");
    }
    let reply = app.post_json(&answer, &json!({"action": "done"})).await;
    assert_eq!(reply.status(), 410);
    assert!(reply.json::<serde_json::Value>().await.unwrap()["error"].as_str().unwrap().contains("switched off"));
    assert_eq!(person(&app).await, before, "a switched-off link wrote nothing");
}
