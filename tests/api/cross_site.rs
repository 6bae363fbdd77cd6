//! Cross-site posts of the two forms that take an address (subscribe, "mail
//! me a fresh link") refused: a post whose `Origin` (or, without one,
//! `Referer`) is not `http.public_url`'s gets 403 and writes nothing;
//! a post from tend's own page, or with neither header (curl, API clients),
//! goes through. (The browser test posts the real form from Chromium.)

use sqlx::PgPool;

use crate::helpers::{form_for, spawn_app};

#[sqlx::test]
async fn a_subscribe_or_fresh_link_post_from_another_site_gets_403_and_writes_nothing(pool: PgPool) {
    let app = spawn_app(pool).await;
    // A real subscriber, so that a fresh-link request that went through would queue mail.
    app.subscribe_and_confirm("victim@example.com").await;
    let before = app.snapshot().await;
    let other_port = app.address.replace("127.0.0.1:", "127.0.0.1:1");
    let foreign: [(&str, String); 7] = [
        ("origin", "https://evil.example".into()),
        ("origin", "null".into()),
        ("origin", app.address.replace("http://", "https://")),
        ("origin", other_port),
        ("referer", "https://evil.example/subscribe-here".into()),
        ("referer", "about:blank".into()),
        ("origin", "not a url".into()),
    ];
    for ((header, value), path) in foreign.iter().flat_map(|h| [(h, "/subscribe"), (h, "/link")]) {
        for json in [false, true] {
            let mut request = app.client.post(app.url(path)).header(*header, value.as_str());
            request = if json {
                request.json(&serde_json::json!({"email": "victim@example.com"}))
            } else {
                request.header("content-type", "application/x-www-form-urlencoded").body(form_for("victim@example.com"))
            };
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 403, "{path} {header}: {value} (json: {json})");
            let body = response.text().await.unwrap();
            assert!(body.contains("can only be sent from this site"), "{body}");
            if json {
                assert!(serde_json::from_str::<serde_json::Value>(&body).unwrap()["error"].is_string());
            }
        }
    }
    assert_eq!(app.snapshot().await, before);
}

#[sqlx::test]
async fn posts_from_tend_s_own_page_and_from_clients_without_either_header_go_through(pool: PgPool) {
    let app = spawn_app(pool).await;
    let own: [(&str, String); 3] = [
        ("origin", app.address.clone()),
        ("referer", format!("{}/", app.address)),
        ("origin", format!("{}/", app.address.to_uppercase().replace("HTTP://", "http://"))),
    ];
    for (n, (header, value)) in own.iter().enumerate() {
        let response = app
            .client
            .post(app.url("/subscribe"))
            .header(*header, value.as_str())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_for(&format!("own{n}@example.com")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{header}: {value}");
    }
    // curl, or an API client: no Origin, no Referer.
    let json = app.post_json("/subscribe", &serde_json::json!({"email": "api@example.com"})).await;
    assert_eq!(json.status(), 202);
    assert_eq!(app.count("select count(*) from subscribers").await, 4);
    // tend's pages only ever tell tend where a post comes from.
    let page = app.get("/").await;
    assert_eq!(page.headers()["referrer-policy"], "same-origin");
}
