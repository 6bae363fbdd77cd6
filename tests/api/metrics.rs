//! Metrics: on a listener of their own, never on the public port; behind a
//! bearer token when one is set; served from memory (a scrape runs no
//! query); and the incrementally kept counts agree with a full count.

use sqlx::PgPool;

use crate::helpers::{TendServe, spawn_app, spawn_app_with};

#[sqlx::test]
async fn tend_serve_answers_metrics_only_on_metrics_bind_and_only_with_the_token(pool: PgPool) {
    let token = "scrape-token-for-the-test-0123456789";
    let serve = TendServe::start(&pool, &[("TEND__METRICS__TOKEN", token)]).await;
    let client = reqwest::Client::new();
    let public = client.get(format!("{}/metrics", serve.base)).send().await.unwrap();
    assert_eq!(public.status(), 404, "the public port has no /metrics");
    assert!(!public.text().await.unwrap().contains("tend_"), "nothing of the metrics shows");

    let scrape = |auth: Option<String>| {
        let mut request = client.get(&serve.metrics_url);
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        request.send()
    };
    for wrong in [None, Some("Bearer nope".to_owned()), Some(format!("Bearer {token}x")), Some(token.to_owned())] {
        let response = scrape(wrong.clone()).await.unwrap();
        assert_eq!(response.status(), 401, "{wrong:?}");
        assert!(!response.text().await.unwrap().contains("tend_"));
    }
    let response = scrape(Some(format!("Bearer {token}"))).await.unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(text.contains("tend_http_requests_total{route=\"unmatched\",status=\"404\"} 1"), "{text}");
}

#[sqlx::test]
async fn without_a_token_the_metrics_listener_answers_and_the_public_port_does_not(pool: PgPool) {
    let app = spawn_app(pool).await;
    assert_eq!(app.get("/metrics").await.status(), 404);
    let json = app.client.get(app.url("/metrics")).header("accept", "application/json").send().await.unwrap();
    assert_eq!(json.status(), 404);
    app.subscribe("metrics@example.com").await;
    let metrics = app.scrape().await;
    assert!(metrics.contains("tend_subscribers{status=\"pending\"} 1"), "{metrics}");
    assert!(metrics.contains("tend_deliveries{kind=\"confirm\",status=\"pending\"} 1"), "{metrics}");
    assert!(metrics.lines().any(|l| l.starts_with("tend_gauges_age_seconds ")), "{metrics}");
}

#[sqlx::test]
async fn a_scrape_runs_no_query_it_serves_the_last_refresh(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.subscribe("cached@example.com").await;
    let before = app.scrape().await;
    assert!(before.contains("tend_subscribers{status=\"pending\"} 1"), "{before}");
    // No connection can be had any more: a scrape that queried would fail.
    app.pool.close().await;
    let url = app.metrics_url.clone().unwrap();
    for _ in 0..20 {
        let response = app.client.get(&url).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let text = response.text().await.unwrap();
        assert!(text.contains("tend_subscribers{status=\"pending\"} 1"), "{text}");
    }
}

#[sqlx::test]
async fn metrics_change_when_mail_goes_out_and_answers_come_in(pool: PgPool) {
    let app = spawn_app(pool).await;
    let id = app.subscribe_and_confirm("metered@example.com").await;
    app.dispatch_all_pending_emails().await;
    let before = app.scrape().await;
    assert!(before.contains("tend_queue_due 0"), "{before}");
    assert!(before.contains("tend_http_requests_total{route=\"/subscribe\",status=\"200\"}"));
    assert!(before.contains("tend_http_requests_total{route=\"/confirm/{token}\",status=\"200\"}"));
    assert!(!before.contains("tend_answers{action=\"done\"}"));

    app.travel_to_next_slot(id).await;
    app.plan().await;
    let queued = app.scrape().await;
    assert!(queued.contains("tend_queue_due 1"), "{queued}");
    app.dispatch_all_pending_emails().await;
    let nudge = app.smtp.received_by("metered@example.com").pop().unwrap();
    let answer = app.links_in(&nudge, "/n/").pop().unwrap().split('?').next().unwrap().to_owned();
    app.post_form(&answer, "action=done").await;

    let after = app.scrape().await;
    assert!(after.contains("tend_answers{action=\"done\"} 1"), "{after}");
    assert!(after.contains("tend_deliveries{kind=\"nudge\",status=\"sent\"} 1"));
    assert!(after.contains("tend_answer_rate{track=\"check-in\"} 1.0000"), "{after}");
    let sends: u64 =
        after.lines().find_map(|l| l.strip_prefix("tend_send_seconds_count ")).and_then(|n| n.parse().ok()).unwrap();
    assert!(sends >= 2, "the confirmation and the nudge were timed");
    assert!(after.contains("tend_promises_renegotiated_early_ratio"));
    let response = app.get("/healthz").await;
    assert!(response.headers().get("x-request-id").is_some_and(|v| v.len() == 16));
}

/// Every change a subscriber can make, then the kept counts against
/// `count(*)` over the tables themselves.
#[sqlx::test]
async fn the_kept_counts_agree_with_a_full_count_after_every_kind_of_change(pool: PgPool) {
    let app = spawn_app_with(pool, |s| s.metrics.bind = tend::config::OptionalAddr(None)).await;
    let ids = [
        app.subscribe_and_confirm("one@example.com").await,
        app.subscribe_and_confirm("two@example.com").await,
        app.subscribe_and_confirm("three@example.com").await,
    ];
    app.subscribe("pending@example.com").await;
    for id in ids {
        app.travel_to_next_slot(id).await;
    }
    app.plan().await;
    app.dispatch_all_pending_emails().await;
    for (email, action) in [("one@example.com", "done"), ("two@example.com", "not_yet")] {
        let nudge = app.smtp.received_by(email).pop().unwrap();
        let answer = app.links_in(&nudge, "/n/").pop().unwrap().split('?').next().unwrap().to_owned();
        assert_eq!(app.post_form(&answer, format!("action={action}")).await.status(), 200);
    }
    let mail = app.smtp.received_by("two@example.com").pop().unwrap();
    let unsubscribe = app.links_in(&mail, "/unsubscribe/").pop().unwrap();
    app.post_form(&unsubscribe, "List-Unsubscribe=One-Click").await;
    let mail = app.smtp.received_by("three@example.com").pop().unwrap();
    let preferences = app.links_in(&mail, "/me/").pop().unwrap();
    app.post_form(&preferences, "action=delete&confirm_delete=yes").await;

    let kept = kept_counts(&app.pool).await;
    let counted: Vec<(String, String, String, i64)> = sqlx::query_as(
        "select 'subscribers', status, '', count(*) from subscribers group by status
         union all select 'deliveries', kind::text, status, count(*) from deliveries group by kind, status
         union all select 'answers', action, '', count(*) from answers group by action
         order by 1, 2, 3",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(counted.iter().any(|(g, l, s, n)| g == "deliveries" && l == "nudge" && s == "sent" && *n == 2));
    assert_eq!(kept, counted);
}

/// The non-zero all-time totals after a fold, as `(gauge, label, sublabel, n)`.
async fn kept_counts(pool: &PgPool) -> Vec<(String, String, String, i64)> {
    let totals = tend::store::gauges::fold_and_read(pool).await.unwrap();
    totals
        .into_iter()
        .filter(|t| t.day.is_none() && t.n != 0 && t.gauge != "promises")
        .map(|t| (t.gauge, t.label, t.sublabel, t.n))
        .collect()
}

/// Where no metrics listener runs, the scheduler's fold still empties the
/// deltas the triggers append, so their table never grows with the traffic.
#[sqlx::test]
async fn the_scheduler_s_fold_empties_the_deltas_without_a_metrics_listener(pool: PgPool) {
    let app = spawn_app_with(pool, |s| s.metrics.bind = tend::config::OptionalAddr(None)).await;
    let id = app.subscribe_and_confirm("folded@example.com").await;
    app.travel_to_next_slot(id).await;
    app.plan().await;
    app.dispatch_all_pending_emails().await;
    let deltas = || sqlx::query_scalar::<_, i64>("select count(*) from gauge_deltas").fetch_one(&app.pool);
    assert!(deltas().await.unwrap() > 0, "every change appended its deltas");

    assert!(tend::store::gauges::fold_deltas(&app.pool).await.unwrap());
    assert_eq!(deltas().await.unwrap(), 0);
    let sent: i64 = sqlx::query_scalar(
        "select n from gauge_totals where gauge = 'deliveries' and label = 'nudge' and sublabel = 'sent'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(sent, 1);
}

/// The counts never make writers queue: the triggers only append, so a
/// transaction that changed deliveries and has not committed yet does not
/// hold up another one changing other deliveries (a shared counter row
/// would: the second would wait for the first's row lock, here past
/// `lock_timeout`).
#[sqlx::test]
async fn concurrent_writers_of_deliveries_never_wait_on_each_other_for_the_counts(pool: PgPool) {
    let app = spawn_app_with(pool, |s| s.metrics.bind = tend::config::OptionalAddr(None)).await;
    let id = app.subscribe_and_confirm("two-writers@example.com").await;
    let ids: Vec<i64> = sqlx::query_scalar(
        "insert into deliveries (subscriber_id, kind, track, slot, due_at)
         select $1, 'nudge', 'check-in', now() + make_interval(days => g), now() + make_interval(days => g)
         from generate_series(1, 2) g returning id",
    )
    .bind(id)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let cancel = "update deliveries set status = 'cancelled' where id = $1";
    let mut first = app.pool.begin().await.unwrap();
    sqlx::query(cancel).bind(ids[0]).execute(&mut *first).await.unwrap();

    let mut second = app.pool.begin().await.unwrap();
    sqlx::query("set local lock_timeout = '2s'").execute(&mut *second).await.unwrap();
    sqlx::query(cancel).bind(ids[1]).execute(&mut *second).await.expect("the second writer did not wait");
    sqlx::query("insert into deliveries (subscriber_id, kind, slot, due_at) values ($1, 'welcome', now(), now())")
        .bind(id)
        .execute(&mut *second)
        .await
        .expect("nor did an insert");
    second.commit().await.unwrap();
    first.commit().await.unwrap();
    let cancelled: i64 = kept_counts(&app.pool)
        .await
        .into_iter()
        .find(|(g, l, s, _)| g == "deliveries" && l == "nudge" && s == "cancelled")
        .map_or(0, |t| t.3);
    assert_eq!(cancelled, 2);
}
