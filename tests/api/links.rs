//! Links, consent and abuse: scanners change nothing,
//! keys rotate, floods are capped, answers do not reveal who subscribes,
//! and subscribers can erase themselves.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use sqlx::PgPool;

use crate::helpers::{TestApp, form_for, spawn_app, spawn_app_with};

/// A fingerprint of every row that matters: if it is unchanged, nothing was written.
async fn fingerprint(app: &TestApp) -> String {
    let mut all = String::new();
    for sql in [
        "select coalesce(string_agg(t::text, '|' order by id), '') from subscribers t",
        "select coalesce(string_agg(t::text, '|' order by subscriber_id, track), '') from subscriber_tracks t",
        "select coalesce(string_agg(t::text, '|' order by id), '') from deliveries t",
        "select coalesce(string_agg(t::text, '|' order by delivery_id), '') from answers t",
    ] {
        let part: String = sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap();
        all.push_str(&part);
        all.push('#');
    }
    all
}

/// Every link in every mail a subscriber received.
fn all_links(app: &TestApp, email: &str) -> Vec<String> {
    let mut links: Vec<String> = app.smtp.received_by(email).iter().flat_map(|m| app.links_in(m, "/")).collect();
    links.sort();
    links.dedup();
    links
}

#[sqlx::test]
async fn fetching_or_heading_every_emailed_link_changes_nothing(pool: PgPool) {
    let app = spawn_app(pool).await;
    let email = "scanner@example.com";
    // A pending subscriber's confirmation mail...
    app.subscribe("pending-scan@example.com").await;
    app.dispatch_all_pending_emails().await;
    // ...and an active one's nudge.
    let id = app.subscribe_and_confirm(email).await;
    app.travel_to_next_slot(id).await;
    app.plan().await;
    app.dispatch_all_pending_emails().await;
    let mut links = all_links(&app, email);
    links.extend(all_links(&app, "pending-scan@example.com"));
    assert!(links.iter().any(|l| l.contains("/n/")) && links.iter().any(|l| l.contains("/confirm/")));
    assert!(links.iter().any(|l| l.contains("/unsubscribe/")) && links.iter().any(|l| l.contains("/me/")));
    let before = fingerprint(&app).await;
    for link in &links {
        assert_eq!(app.get(link).await.status(), 200, "GET {link}");
        assert_eq!(app.head(link).await.status(), 200, "HEAD {link}");
    }
    assert_eq!(fingerprint(&app).await, before, "a scanner changed something");
    // The confirmation link a scanner fetched still works for the person.
    let pending_links = all_links(&app, "pending-scan@example.com");
    let confirm = pending_links.iter().find(|l| l.contains("/confirm/")).unwrap();
    assert_eq!(app.post_form(confirm, "").await.status(), 200);
    assert_eq!(app.status_of("pending-scan@example.com").await.as_deref(), Some("active"));
}

#[sqlx::test]
async fn one_click_unsubscribe_works_with_and_without_cookies(pool: PgPool) {
    let app = spawn_app(pool).await;
    for (email, cookie) in [("no-cookie@example.com", None), ("cookie@example.com", Some("session=abc; theme=dark"))] {
        app.subscribe_and_confirm(email).await;
        let mail = app.smtp.received_by(email).pop().unwrap();
        let unsubscribe = app.links_in(&mail, "/unsubscribe/").pop().unwrap();
        let mut request = app
            .client
            .post(&unsubscribe)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click");
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers().get("location").is_none());
        assert_eq!(app.status_of(email).await.as_deref(), Some("unsubscribed"), "{email}");
    }
}

#[sqlx::test]
async fn links_signed_with_a_rotated_key_work_until_that_key_is_removed(pool: PgPool) {
    let old_key = "an-old-link-key-that-is-long-enough-000000";
    let new_key = "a-new-link-key-that-is-long-enough-1111111";
    let with_keys = |keys: Vec<&'static str>| {
        move |s: &mut tend::config::Settings| {
            s.security.link_keys = keys.into_iter().map(|k| k.to_owned().into()).collect()
        }
    };
    let before = spawn_app_with(pool.clone(), with_keys(vec![old_key])).await;
    before.subscribe("rotate@example.com").await;
    before.dispatch_all_pending_emails().await;
    let mail = before.smtp.received_by("rotate@example.com").pop().unwrap();
    let confirm_path = before.links_in(&mail, "/confirm/").pop().unwrap().replace(&before.address, "");

    let rotated = spawn_app_with(pool.clone(), with_keys(vec![new_key, old_key])).await;
    assert_eq!(rotated.get(&confirm_path).await.status(), 200, "the old key still verifies");
    let retired = spawn_app_with(pool, with_keys(vec![new_key])).await;
    assert_eq!(retired.get(&confirm_path).await.status(), 404, "a removed key no longer verifies");
    // New links are signed with the first key.
    retired.subscribe("fresh@example.com").await;
    retired.dispatch_all_pending_emails().await;
    let fresh = retired.smtp.received_by("fresh@example.com").pop().unwrap();
    let fresh_path = retired.links_in(&fresh, "/confirm/").pop().unwrap().replace(&retired.address, "");
    assert_eq!(rotated.get(&fresh_path).await.status(), 200);
    assert_eq!(before.get(&fresh_path).await.status(), 404);
}

#[sqlx::test]
async fn links_are_built_from_the_public_url_never_from_the_host_header(pool: PgPool) {
    let app = spawn_app(pool).await;
    let response = app
        .client
        .post(app.url("/subscribe"))
        .header("host", "evil.example")
        .header("x-forwarded-host", "evil.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_for("host@example.com"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    app.dispatch_all_pending_emails().await;
    let mail = app.smtp.received_by("host@example.com").pop().unwrap();
    assert!(!mail.decoded().contains("evil.example"));
    assert_eq!(app.links_in(&mail, "/confirm/").len(), 1);
}

/// Sends `count` subscribe requests for one address from the given client
/// addresses (all on loopback), `parallel` at a time; returns (status, body) pairs.
async fn flood(app: &TestApp, email: &str, clients: &[IpAddr], count: usize, parallel: usize) -> Vec<(u16, String)> {
    let per_client: Vec<reqwest::Client> =
        clients.iter().map(|ip| reqwest::Client::builder().local_address(*ip).build().unwrap()).collect();
    futures_util::stream::iter(0..count)
        .map(|i| {
            let client = per_client[i % per_client.len()].clone();
            let url = app.url("/subscribe");
            let body = form_for(email);
            async move {
                let response = client
                    .post(url)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                (response.status().as_u16(), response.text().await.unwrap())
            }
        })
        .buffer_unordered(parallel)
        .collect()
        .await
}

#[sqlx::test]
async fn ten_thousand_subscribe_requests_for_one_address_send_at_most_three_mails(pool: PgPool) {
    let app = spawn_app_with(pool, |s| s.http.subscribe_per_client_per_minute = 10).await;
    let one = [IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1))];
    let many: Vec<IpAddr> = (2..=251).map(|i| IpAddr::V4(Ipv4Addr::new(127, 0, 1, i as u8))).collect();

    let from_one = flood(&app, "target@example.com", &one, 5_000, 64).await;
    let from_many = flood(&app, "target@example.com", &many, 5_000, 64).await;
    app.dispatch_all_pending_emails().await;
    assert_eq!(app.smtp.received_by("target@example.com").len(), 3);

    for (responses, clients) in [(&from_one, 1), (&from_many, many.len())] {
        let accepted: Vec<&String> = responses.iter().filter(|(s, _)| *s == 200).map(|(_, b)| b).collect();
        assert_eq!(accepted.len(), 10 * clients.min(5_000 / 10), "each client gets its ten a minute");
        assert!(accepted.windows(2).all(|w| w[0] == w[1]), "every accepted answer is the same page");
        assert!(responses.iter().all(|(s, _)| *s == 200 || *s == 429));
    }
    assert_eq!(app.count("select count(*) from subscribers").await, 1);
}

#[sqlx::test]
async fn too_many_requests_from_one_client_get_429_with_retry_after(pool: PgPool) {
    let app = spawn_app_with(pool, |s| s.http.subscribe_per_client_per_minute = 2).await;
    for _ in 0..2 {
        assert_eq!(app.subscribe("slow@example.com").await.status(), 200);
    }
    let limited = app.subscribe("other@example.com").await;
    assert_eq!(limited.status(), 429);
    let retry: u64 = limited.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    assert!(limited.text().await.unwrap().contains("Please slow down"));
    assert_eq!(app.status_of("other@example.com").await, None, "a refused request writes nothing");
}

#[sqlx::test]
async fn known_and_unknown_addresses_take_about_as_long_to_answer(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.subscribe_and_confirm("known@example.com").await;
    let mut timings = Vec::new();
    for email in ["known@example.com", "unknown@example.com"] {
        let mut samples = Vec::new();
        for i in 0..9 {
            let address =
                if email.starts_with("unknown") { format!("unknown{i}@example.com") } else { email.to_owned() };
            let started = Instant::now();
            assert_eq!(app.subscribe(&address).await.status(), 200);
            samples.push(started.elapsed());
        }
        samples.sort();
        timings.push(samples[samples.len() / 2]);
    }
    let (known, unknown) = (timings[0], timings[1]);
    assert!(known >= Duration::from_millis(120) && unknown >= Duration::from_millis(120));
    let ratio = known.as_secs_f64() / unknown.as_secs_f64();
    assert!((0.7..1.43).contains(&ratio), "known {known:?} vs unknown {unknown:?}");
}

#[sqlx::test]
async fn the_preferences_page_deletes_everything_after_an_explicit_tick(pool: PgPool) {
    let app = spawn_app(pool).await;
    let email = "erase-me@example.com";
    let id = app.subscribe_and_confirm(email).await;
    app.travel_to_next_slot(id).await;
    app.plan().await;
    app.dispatch_all_pending_emails().await;
    let nudge = app.smtp.received_by(email).pop().unwrap();
    let preferences = app.links_in(&nudge, "/me/").pop().unwrap();
    assert!(app.get(&preferences).await.text().await.unwrap().contains("Delete my data"));

    let unticked = app.post_form(&preferences, "action=delete").await;
    assert_eq!(unticked.status(), 400);
    assert_eq!(app.status_of(email).await.as_deref(), Some("active"));

    let deleted = app.post_form(&preferences, "action=delete&confirm_delete=yes").await;
    assert_eq!(deleted.status(), 200);
    assert!(deleted.text().await.unwrap().contains("Your data is deleted"));
    assert_eq!(app.snapshot().await, [0, 0, 0, 0]);
    let audit: i64 = sqlx::query_scalar("select count(*) from erasures").fetch_one(&app.pool).await.unwrap();
    assert_eq!(audit, 1, "an anonymous audit line stays");
    let leaked: i64 = sqlx::query_scalar("select count(*) from erasures e where e::text like '%erase-me%'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(leaked, 0);
    // Every link in the old mail is now dead.
    assert_eq!(app.get(&preferences).await.status(), 404);
}
