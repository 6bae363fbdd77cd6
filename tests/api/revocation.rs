//! Links a subscriber can revoke: "someone else may have seen my mail"
//! switches off every link in every earlier mail (410 with a calm page),
//! except unsubscribe links, which keep working and show nothing personal;
//! the next mails' links work. Unsubscribing and confirming again does the
//! same to the links of the earlier subscription.

use chrono::{Duration, Utc};
use sqlx::PgPool;
use tend::domain::Purpose;

use crate::helpers::{TestApp, dev_signer, form_for, form_soon, spawn_app, token_of_generation, urlencode};

/// In a month: a valid due date whatever today is.
fn in_a_month() -> String {
    (Utc::now() + Duration::days(30)).format("%Y-%m-%d").to_string()
}

/// Every link to the app in every mail the address received, by route.
fn links_by_route(app: &TestApp, email: &str) -> Vec<(String, String)> {
    let mut links = Vec::new();
    for mail in app.smtp.received_by(email) {
        for link in app.links_in(&mail, "/") {
            let route = link[app.address.len() + 1..].split('/').next().unwrap().to_owned();
            links.push((route, link.split('?').next().unwrap().to_owned()));
        }
    }
    links.sort();
    links.dedup();
    links
}

/// A confirmed subscriber who got a confirmation, a welcome mail, a nudge,
/// both promise mails and a "keep going?" mail: every link tend mails.
async fn subscriber_with_every_mail(app: &TestApp, email: &str) -> i64 {
    // Near noon in the subscriber's zone: the next nudge, a day later, is on another local day.
    let (id, nudge) = app.confirmed_with_first_nudge(email, &form_soon(email).0).await;
    let preferences = app.links_in(&nudge, "/me/").pop().unwrap();
    let promise = format!("action=promise&promise=Call+at+lunch&due_date={}&due_time=18%3A00", in_a_month());
    assert_eq!(app.post_form(&preferences, promise).await.status(), 200);
    sqlx::query("update deliveries set due_at = now() where promise_id is not null").execute(&app.pool).await.unwrap();
    app.dispatch_all_pending_emails().await;
    // Resting for a moment, for the "keep going?" mail and its resume link.
    sqlx::query("update subscribers set status = 'resting' where id = $1").bind(id).execute(&app.pool).await.unwrap();
    sqlx::query("insert into deliveries (subscriber_id, kind, slot, due_at) values ($1, 'keep_going', now(), now())")
        .bind(id)
        .execute(&app.pool)
        .await
        .unwrap();
    app.dispatch_all_pending_emails().await;
    sqlx::query("update subscribers set status = 'active' where id = $1").bind(id).execute(&app.pool).await.unwrap();
    id
}

#[sqlx::test]
async fn after_signing_out_every_earlier_link_answers_410_but_unsubscribing_and_new_links_work(pool: PgPool) {
    let app = spawn_app(pool).await;
    let email = "seen@example.com";
    let id = subscriber_with_every_mail(&app, email).await;
    let links = links_by_route(&app, email);
    let routes: Vec<&str> = links.iter().map(|(r, _)| r.as_str()).collect();
    for route in ["confirm", "me", "n", "p", "resume", "unsubscribe"] {
        assert!(routes.contains(&route), "no {route} link among {routes:?}");
    }
    for (_, link) in &links {
        assert_eq!(app.get(link).await.status(), 200, "{link} before signing out");
    }

    let preferences = &links.iter().find(|(r, _)| r == "me").unwrap().1;
    let signed_out = app.post_form(preferences, "action=sign_out_links").await;
    assert_eq!(signed_out.status(), 200);
    assert!(signed_out.text().await.unwrap().contains("Your links are switched off"));

    let before = app.snapshot().await;
    let answers = app.count("select count(*) from promises where check_answer is not null").await;
    for (route, link) in links.iter().filter(|(r, _)| r != "unsubscribe") {
        let page = app.get(link).await;
        assert_eq!(page.status(), 410, "GET {link}");
        let body = page.text().await.unwrap();
        assert!(body.contains("This link no longer works") && body.contains("action=\"/link\""), "{body}");
        assert!(!body.contains(email) && !body.contains("Call at lunch"), "{body}");
        let body = match route.as_str() {
            "n" => "action=done",
            "p" => "answer=on_track",
            "me" => "action=pause",
            _ => "",
        };
        assert_eq!(app.post_form(link, body).await.status(), 410, "POST {link}");
    }
    assert_eq!(app.snapshot().await, before, "a switched-off link writes nothing");
    assert_eq!(app.count("select count(*) from promises where check_answer is not null").await, answers);
    assert_eq!(app.status_of(email).await.as_deref(), Some("active"));

    // New mails carry links that work: a fresh link asked for by address, the next nudge.
    assert_eq!(app.post_form("/link", format!("email={}", urlencode(email))).await.status(), 200);
    app.dispatch_all_pending_emails().await;
    app.travel_to_next_slot(id).await;
    app.plan().await;
    app.dispatch_all_pending_emails().await;
    let fresh = app.smtp.received_by(email).into_iter().find(|m| m.decoded().contains("works for one day")).unwrap();
    assert_eq!(app.get(&app.links_in(&fresh, "/me/").pop().unwrap()).await.status(), 200);
    let nudge = app.smtp.received_by(email).into_iter().rev().find(|m| !app.links_in(m, "/n/").is_empty()).unwrap();
    let answer = app.links_in(&nudge, "/n/").pop().unwrap();
    assert!(!links.iter().any(|(_, l)| answer.starts_with(l)), "the new nudge's link is a new one");
    assert_eq!(app.get(&answer).await.status(), 200);

    // The old unsubscribe link still unsubscribes, and shows nothing personal.
    let unsubscribe = &links.iter().find(|(r, _)| r == "unsubscribe").unwrap().1;
    for response in [app.get(unsubscribe).await, app.post_form(unsubscribe, "List-Unsubscribe=One-Click").await] {
        assert_eq!(response.status(), 200);
        let body = response.text().await.unwrap();
        for personal in [email, "Open, honest talk", "Follow-through", "Transparency", "progress", "promise"] {
            assert!(!body.contains(personal), "{personal} on the unsubscribe page: {body}");
        }
    }
    assert_eq!(app.status_of(email).await.as_deref(), Some("unsubscribed"));
}

#[sqlx::test]
async fn after_unsubscribing_and_confirming_again_the_old_nudge_links_are_dead(pool: PgPool) {
    let app = spawn_app(pool).await;
    let email = "again@example.com";
    let (id, nudge) = app.confirmed_with_first_nudge(email, &form_for(email)).await;
    let answer = app.links_in(&nudge, "/n/").pop().unwrap();
    let old_confirm = app.links_in(&app.smtp.received_by(email)[0], "/confirm/").pop().unwrap();
    let unsubscribe = app.links_in(&nudge, "/unsubscribe/").pop().unwrap();
    assert_eq!(app.post_form(&unsubscribe, "List-Unsubscribe=One-Click").await.status(), 200);
    assert_eq!(app.get(&answer).await.status(), 410, "unsubscribing switches the links off");

    assert_eq!(app.subscribe_and_confirm(email).await, id, "the same subscriber comes back");
    assert_eq!(app.status_of(email).await.as_deref(), Some("active"));
    assert_eq!(app.get(&answer).await.status(), 410, "the old nudge's link stays dead");
    assert_eq!(app.post_form(answer.split('?').next().unwrap(), "action=done").await.status(), 410);
    assert_eq!(app.get(&old_confirm).await.status(), 410, "and so does the first confirmation");
    assert_eq!(app.count("select count(*) from answers").await, 0);
    // The new confirmation's own link still says "already confirmed".
    let confirm = app.links_in(&app.smtp.received_by(email).pop().unwrap(), "/confirm/").pop().unwrap();
    let again = app.post_form(&confirm, "").await;
    assert_eq!(again.status(), 200);
    assert!(again.text().await.unwrap().contains("already confirmed"));
}

#[sqlx::test]
async fn links_mailed_before_generations_work_until_the_first_sign_out(pool: PgPool) {
    let app = spawn_app(pool).await;
    let id = app.subscribe_and_confirm("older@example.com").await;
    let signer = dev_signer();
    let expires = Utc::now() + Duration::days(60);
    let older = format!("/me/{}", signer.sign_layout1(Purpose::Preferences, id, expires));
    assert_eq!(older.len(), "/me/".len() + 44, "a layout-1 link");
    assert_eq!(app.get(&older).await.status(), 200);
    let current = format!("/me/{}", token_of_generation(&signer, Purpose::Preferences, id, 0, expires));
    assert_eq!(app.post_form(&current, "action=sign_out_links").await.status(), 200);
    assert_eq!(app.get(&older).await.status(), 410);
    assert_eq!(app.get(&current).await.status(), 410);
    let next = format!("/me/{}", token_of_generation(&signer, Purpose::Preferences, id, 1, expires));
    assert_eq!(app.get(&next).await.status(), 200, "links of the new generation work");
}

#[sqlx::test]
async fn asking_for_a_fresh_link_answers_the_same_for_any_address_and_is_limited(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.subscribe_and_confirm("active@example.com").await;
    assert_eq!(app.subscribe("pending@example.com").await.status(), 200);
    app.dispatch_all_pending_emails().await;
    let mut bodies = Vec::new();
    for email in ["active@example.com", "pending@example.com", "nobody@example.com"] {
        let response = app.post_form("/link", format!("email={}", urlencode(email))).await;
        assert_eq!(response.status(), 200);
        bodies.push(response.text().await.unwrap());
    }
    assert!(bodies.iter().all(|b| *b == bodies[0]), "the same page for every address");
    let json = app.post_json("/link", &serde_json::json!({"email": "nobody@example.com"})).await;
    assert_eq!(json.status(), 202);
    for _ in 0..5 {
        assert_eq!(app.post_form("/link", "email=active%40example.com").await.status(), 200);
    }
    let sent = |kind: &str| format!("select count(*) from deliveries where kind = '{kind}'");
    assert_eq!(app.count(&sent("fresh_link")).await, 3, "at most three a day, and only to a confirmed address");
    assert_eq!(app.post_form("/link", "email=not-an-address").await.status(), 400);
}

#[sqlx::test]
async fn one_client_asking_for_fresh_links_too_often_gets_429(pool: PgPool) {
    let app = crate::helpers::spawn_app_with(pool, |s| s.http.link_requests_per_client_per_minute = 2).await;
    for _ in 0..2 {
        assert_eq!(app.post_form("/link", "email=a%40example.com").await.status(), 200);
    }
    let limited = app.post_form("/link", "email=b%40example.com").await;
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
}
