//! Least privilege: a page never holds a link more powerful or longer-lived
//! than the one that opened it (every token in its HTML is decoded and
//! checked), promise words show only through a link at most a day old, and
//! deleting one's data needs such a link too; a fresh one comes by mail.

use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;
use tend::domain::{Claims, LinkGeneration, Purpose};

use crate::helpers::{TestApp, dev_signer, form_for, spawn_app};

/// A confirmed subscriber to follow-through only (its answer page offers
/// the promise form) and their first nudge's answer link.
async fn follow_through_nudge(app: &TestApp, email: &str) -> (i64, String) {
    let (id, nudge) =
        app.confirmed_with_first_nudge(email, &format!("{}&tracks=follow-through", form_for(email))).await;
    (id, app.links_in(&nudge, "/n/").pop().unwrap().split('?').next().unwrap().to_owned())
}

/// Every token in a page's HTML that points back at the app, decoded.
fn tokens_in(app: &TestApp, html: &str) -> Vec<(String, Claims)> {
    let signer = dev_signer();
    let start = format!("{}/", app.address);
    html.match_indices(&start)
        .filter_map(|(i, _)| {
            let path = &html[i + start.len()..];
            let (route, rest) = path.split_once('/').filter(|(r, _)| r.chars().all(|c| c.is_ascii_lowercase()))?;
            let token: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || "-_".contains(*c)).collect();
            Some((route.to_owned(), signer.peek(&token).unwrap_or_else(|e| panic!("{route}/{token}: {e}"))))
        })
        .collect()
}

/// No token in `html` outlives the link that opened the page, and none is a
/// preferences, unsubscribe or promise link unless that is what opened it.
fn assert_no_stronger_link(app: &TestApp, html: &str, opener: &Claims) {
    for (route, claims) in tokens_in(app, html) {
        assert!(claims.expires_at <= opener.expires_at, "/{route}/ outlives the page's own link: {claims:?}");
        if matches!(claims.purpose, Purpose::Preferences | Purpose::Unsubscribe | Purpose::Promise) {
            assert_eq!(claims.purpose, opener.purpose, "a page opened by {:?} holds a {route} link", opener.purpose);
        }
    }
}

fn claims_of(link: &str) -> Claims {
    dev_signer().peek(link.rsplit('/').next().unwrap().split('?').next().unwrap()).unwrap()
}

#[sqlx::test]
async fn the_answer_page_holds_no_link_that_outlives_or_outranks_its_own(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (_, answer) = follow_through_nudge(&app, "least@example.com").await;
    let own = claims_of(&answer);
    assert_eq!((own.purpose, own.lifetime()), (Purpose::Nudge, Duration::days(14)));
    let in_a_month = (Utc::now() + Duration::days(30)).format("%Y-%m-%d");
    let mut pages = vec![app.get(&format!("{answer}?a=done")).await.text().await.unwrap()];
    for body in [
        "action=send_link".to_owned(),
        format!("action=promise&promise=Call+at+lunch&due_date={in_a_month}&due_time=12%3A00"),
        "action=done".to_owned(),
    ] {
        let response = app.post_form(&answer, body.clone()).await;
        assert_eq!(response.status(), 200, "{body}");
        pages.push(response.text().await.unwrap());
    }
    assert!(pages[0].contains("name=\"promise\""), "a follow-through nudge offers the promise form");
    assert!(pages[1].contains("A fresh link to your preferences is on its way"));
    assert!(pages[2].contains("Promise noted"));
    for html in &pages {
        assert_no_stronger_link(&app, html, &own);
        let routes: Vec<String> = tokens_in(&app, html).into_iter().map(|(r, _)| r).collect();
        assert!(routes.iter().all(|r| r == "n"), "only the page's own link: {routes:?}");
    }
    // The promise was written, and the fresh link went by mail.
    assert_eq!(app.count("select count(*) from promises").await, 1);
    assert_eq!(app.count("select count(*) from deliveries where kind = 'fresh_link'").await, 1);
}

#[sqlx::test]
async fn the_preferences_promise_and_confirm_pages_mint_no_stronger_link(pool: PgPool) {
    let app = spawn_app(pool).await;
    let email = "pages@example.com";
    let (_, _) = follow_through_nudge(&app, email).await;
    let nudge = app.smtp.received_by(email).pop().unwrap();
    let preferences = app.links_in(&nudge, "/me/").pop().unwrap();
    let in_a_month = (Utc::now() + Duration::days(30)).format("%Y-%m-%d");
    let made = app.post_form(&preferences, format!("action=promise&promise=Fix+the+gate&due_date={in_a_month}")).await;
    let html = made.text().await.unwrap();
    assert_no_stronger_link(&app, &html, &claims_of(&preferences));
    assert!(!html.contains("/unsubscribe/"), "unsubscribing is a button on this page, not a new link");
    sqlx::query("update deliveries set due_at = now() where kind = 'promise_check'").execute(&app.pool).await.unwrap();
    app.dispatch_all_pending_emails().await;
    let promise_mail = app.smtp.received_by(email).pop().unwrap();
    let promise = app.links_in(&promise_mail, "/p/").pop().unwrap();
    let html = app.get(&promise).await.text().await.unwrap();
    assert!(html.contains("Fix the gate"));
    assert_no_stronger_link(&app, &html, &claims_of(&promise));
    assert!(tokens_in(&app, &html).iter().all(|(r, _)| r == "p"));
    let confirm = app.links_in(&app.smtp.received_by(email)[0], "/confirm/").pop().unwrap();
    let html = app.post_form(&confirm, "").await.text().await.unwrap();
    assert!(tokens_in(&app, &html).is_empty(), "the confirm page links nowhere personal: {html}");
}

/// A preferences or promise link as tend mints them, issued `age` ago.
fn minted(purpose: Purpose, subject: i64, age: Duration, lifetime: Duration) -> String {
    let issued_at: DateTime<Utc> = Utc::now() - age;
    let claims = Claims::new(purpose, subject, LinkGeneration::FIRST, issued_at, lifetime);
    dev_signer().sign(&claims)
}

#[sqlx::test]
async fn promise_words_and_deleting_need_a_link_at_most_a_day_old(pool: PgPool) {
    let app = spawn_app(pool).await;
    let email = "words@example.com";
    let (id, _) = follow_through_nudge(&app, email).await;
    let nudge = app.smtp.received_by(email).pop().unwrap();
    let preferences = app.links_in(&nudge, "/me/").pop().unwrap();
    let in_a_month = (Utc::now() + Duration::days(30)).format("%Y-%m-%d");
    let body = format!("action=promise&promise=Fix+the+gate&due_date={in_a_month}");
    assert_eq!(app.post_form(&preferences, body).await.status(), 200);
    assert!(app.get(&preferences).await.text().await.unwrap().contains("Fix the gate"), "the nudge's link is fresh");

    // A preferences link 25 hours old: settings yes, words and deleting no.
    let old = format!("/me/{}", minted(Purpose::Preferences, id, Duration::hours(25), Duration::days(90)));
    let page = app.get(&old).await.text().await.unwrap();
    assert!(!page.contains("Fix the gate") && page.contains("(words hidden)") && page.contains("id=\"words-hidden\""));
    assert!(page.contains("id=\"delete-needs-fresh\"") && !page.contains("value=\"delete\""), "{page}");
    let refused = app.post_form(&old, "action=delete&confirm_delete=yes").await;
    assert_eq!(refused.status(), 403);
    assert!(refused.text().await.unwrap().contains("needs a link from the last 24 hours"));
    assert_eq!(app.status_of(email).await.as_deref(), Some("active"), "nothing deleted");

    // A promise link 25 hours old hides the words too; a younger one shows them.
    let check: i64 = sqlx::query_scalar("select id from deliveries where kind = 'promise_check'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let old_promise = format!("/p/{}", minted(Purpose::Promise, check, Duration::hours(25), Duration::days(14)));
    let page = app.get(&old_promise).await.text().await.unwrap();
    assert!(!page.contains("Fix the gate") && page.contains("The words are hidden"), "{page}");
    let young = format!("/p/{}", minted(Purpose::Promise, check, Duration::hours(23), Duration::days(14)));
    assert!(app.get(&young).await.text().await.unwrap().contains("Fix the gate"));

    // A fresh link, asked for from the old page, comes by mail: a day long, it shows and deletes.
    let asked = app.post_form(&old, "action=send_link").await.text().await.unwrap();
    assert!(asked.contains("A fresh link to your preferences is on its way"));
    app.dispatch_all_pending_emails().await;
    let fresh_mail = app.smtp.received_by(email).pop().unwrap();
    let fresh = app.links_in(&fresh_mail, "/me/").pop().unwrap();
    assert_eq!(app.links_in(&fresh_mail, "/me/").len(), 1, "its button is the only preferences link");
    assert_eq!(claims_of(&fresh).lifetime(), Duration::hours(24));
    assert!(app.get(&fresh).await.text().await.unwrap().contains("Fix the gate"));
    assert_eq!(app.post_form(&fresh, "action=delete&confirm_delete=yes").await.status(), 200);
    assert_eq!(app.status_of(email).await, None, "deleted through the fresh link");
}
