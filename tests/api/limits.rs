//! Limits that hold against the ways round them: many addresses of one
//! IPv6 network, and many aliases of one mailbox.

use sqlx::PgPool;

use crate::helpers::{TestApp, form_for, spawn_app, spawn_app_with};

#[sqlx::test]
async fn distinct_addresses_of_one_ipv6_64_share_one_client_limit(pool: PgPool) {
    let app = spawn_app_with(pool, |s| {
        s.http.subscribe_per_client_per_minute = 5;
        s.http.client_ip_header = "x-real-ip".into();
    })
    .await;
    let post = |client_ip: String, n: usize| {
        let app = &app;
        async move {
            app.client
                .post(app.url("/subscribe"))
                .header("content-type", "application/x-www-form-urlencoded")
                .header("x-real-ip", client_ip)
                .body(form_for(&format!("v6-{n}@example.com")))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    // Five distinct hosts of 2001:db8:7:7::/64 use up the network's five.
    for n in 0..5 {
        assert_eq!(post(format!("2001:db8:7:7:{n:x}:{:x}::1", n * 7919), n).await, 200);
    }
    for n in 5..10 {
        let status = post(format!("2001:db8:7:7:ffff:{n:x}:{:x}:{n:x}", n * 104_729 % 0xffff), n).await;
        assert_eq!(status, 429, "host {n} of the same /64");
    }
    // The neighbouring /64 is another client, and so is an IPv4 address.
    assert_eq!(post("2001:db8:7:8::1".into(), 10).await, 200);
    assert_eq!(post("192.0.2.10".into(), 11).await, 200);
    assert_eq!(app.count("select count(*) from subscribers").await, 7, "refused requests wrote nothing");
}

/// Twenty spellings of one Gmail inbox: case, dots, `+tags`, googlemail.com.
fn aliases_of_one_gmail_inbox() -> Vec<String> {
    (0..20)
        .map(|i| {
            let local = match i % 4 {
                0 => "jo.ann.lee".to_owned(),
                1 => "joannlee".to_owned(),
                2 => "J.O.Ann.Lee".to_owned(),
                _ => "joann.lee".to_owned(),
            };
            let domain = if i % 3 == 0 { "googlemail.com" } else { "Gmail.com" };
            format!("{local}+{i}@{domain}")
        })
        .collect()
}

#[sqlx::test]
async fn twenty_aliases_of_one_gmail_inbox_in_a_day_bring_it_at_most_three_confirmation_mails(pool: PgPool) {
    let app = spawn_app(pool).await;
    let aliases = aliases_of_one_gmail_inbox();
    for alias in &aliases {
        assert_eq!(app.subscribe(alias).await.status(), 200, "{alias}");
    }
    app.dispatch_all_pending_emails().await;
    let reached_the_inbox = app
        .smtp
        .received()
        .into_iter()
        .filter(|mail| mail.to.iter().any(|to| aliases.iter().any(|a| a.eq_ignore_ascii_case(to))))
        .count();
    assert_eq!(reached_the_inbox, 3, "received over SMTP by any alias");
    assert_eq!(app.count("select count(*) from subscribers").await, 3, "refused requests wrote nothing");
    // Another inbox is not affected.
    app.subscribe("joann.lee@example.org").await;
    app.dispatch_all_pending_emails().await;
    assert_eq!(app.smtp.received_by("joann.lee@example.org").len(), 1);
}

/// The subscriber's settings as stored: zone, time, daily limit, status and
/// the tracks that are on.
async fn settings_of(app: &TestApp, email: &str) -> (String, String, i16, String, Vec<String>) {
    let (zone, time, max, status): (String, chrono::NaiveTime, i16, String) = sqlx::query_as(
        "select timezone, send_time, max_per_day, status from subscribers where lower(email) = lower($1)",
    )
    .bind(email)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let tracks: Vec<String> = sqlx::query_scalar(
        "select track from subscriber_tracks t join subscribers s on s.id = t.subscriber_id
         where lower(s.email) = lower($1) and t.enabled order by track",
    )
    .bind(email)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    (zone, time.format("%H:%M").to_string(), max, status, tracks)
}

/// Moves every instant the confirmation cap and the request look at back by
/// `hours`: the same as that much time passing, without waiting.
async fn let_time_pass(app: &TestApp, hours: i64) {
    for sql in [
        "update deliveries set created_at = created_at - make_interval(hours => $1)",
        "update subscribers set status_changed_at = status_changed_at - make_interval(hours => $1),
                                created_at = created_at - make_interval(hours => $1)",
        "update subscription_requests set requested_at = requested_at - make_interval(hours => $1)",
    ] {
        sqlx::query(sql).bind(hours as i32).execute(&app.pool).await.unwrap();
    }
}

#[sqlx::test]
async fn an_unsubscribed_address_posted_ten_times_in_a_week_gets_one_mail_and_keeps_its_settings(pool: PgPool) {
    let app = spawn_app(pool).await;
    let email = "left@example.com";
    let form = "email=left%40example.com&timezone=Europe%2FBerlin&time=07%3A15&tracks=support&tracks=patience";
    assert_eq!(app.post_form("/subscribe", form).await.status(), 200);
    app.dispatch_all_pending_emails().await;
    let mail = app.smtp.received_by(email).pop().unwrap();
    assert_eq!(app.post_form(&app.links_in(&mail, "/confirm/").pop().unwrap(), "").await.status(), 200);
    assert_eq!(app.post_form(&app.links_in(&mail, "/unsubscribe/").pop().unwrap(), "").await.status(), 200);
    let settings = settings_of(&app, email).await;
    assert_eq!(settings.3, "unsubscribed");
    let_time_pass(&app, 30 * 24).await;
    app.dispatch_all_pending_emails().await;
    let before = app.smtp.received_by(email).len();

    // Ten requests with other settings, 16 hours apart: six days in all.
    let other = "email=LEFT%40example.com&timezone=Asia%2FTokyo&time=22%3A00&tracks=check-in";
    for _ in 0..10 {
        assert_eq!(app.post_form("/subscribe", other).await.status(), 200);
        app.dispatch_all_pending_emails().await;
        let_time_pass(&app, 16).await;
    }
    assert_eq!(app.smtp.received_by(email).len() - before, 1, "one mail in the week");
    assert_eq!(settings_of(&app, email).await, settings, "nothing changed without a confirmation");
    // What was asked is held, so the export shows it.
    let export = crate::helpers::tend(&app.pool, &["subscriber", "export", email], &[]);
    let export: serde_json::Value = serde_json::from_slice(&export.stdout).unwrap();
    assert_eq!(export["pending_request"]["timezone"], "Asia/Tokyo");
    assert_eq!(export["subscriber"]["mailbox"], email);

    // A week after that mail, one more may go; pressing it applies the request.
    let_time_pass(&app, 24).await;
    app.post_form("/subscribe", other).await;
    app.dispatch_all_pending_emails().await;
    assert_eq!(app.smtp.received_by(email).len() - before, 2);
    let latest = app.smtp.received_by(email).pop().unwrap();
    assert_eq!(app.post_form(&app.links_in(&latest, "/confirm/").pop().unwrap(), "").await.status(), 200);
    let now = settings_of(&app, email).await;
    assert_eq!(now, ("Asia/Tokyo".into(), "22:00".into(), 1, "active".into(), vec!["check-in".into()]));
}

#[sqlx::test]
async fn a_pending_address_keeps_its_settings_until_its_confirmation_is_pressed(pool: PgPool) {
    let app = spawn_app(pool).await;
    let email = "waiting@example.com";
    app.post_form("/subscribe", "email=waiting%40example.com&timezone=Europe%2FBerlin&time=07%3A15").await;
    let first = settings_of(&app, email).await;
    let second = "email=waiting%40example.com&timezone=Asia%2FTokyo&time=22%3A00&tracks=support&locale=de";
    app.post_form("/subscribe", second).await;
    assert_eq!(settings_of(&app, email).await, first, "a second request changes nothing yet");
    assert_eq!(locale_of(&app, email).await, "en", "nor the language");
    app.dispatch_all_pending_emails().await;
    let mail = app.smtp.received_by(email).pop().unwrap();
    assert_eq!(app.post_form(&app.links_in(&mail, "/confirm/").pop().unwrap(), "").await.status(), 200);
    let confirmed = settings_of(&app, email).await;
    assert_eq!(confirmed, ("Asia/Tokyo".into(), "22:00".into(), 1, "active".into(), vec!["support".into()]));
    assert_eq!(locale_of(&app, email).await, "de", "the held request's language, applied with the rest");
}

async fn locale_of(app: &TestApp, email: &str) -> String {
    sqlx::query_scalar("select locale from subscribers where lower(email) = lower($1)")
        .bind(email)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[sqlx::test]
async fn the_pending_ttl_job_deletes_old_pending_rows_and_their_deliveries_and_nothing_else(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.subscribe("old-pending@example.com").await;
    app.subscribe("asked-again@example.com").await;
    app.subscribe_and_confirm("active@example.com").await;
    app.subscribe_and_confirm("left@example.com").await;
    let left = app.subscriber_id("left@example.com").await;
    tend::subscriptions::unsubscribe(&app.pool, left).await.unwrap();
    app.subscribe("left@example.com").await;
    let_time_pass(&app, 8 * 24).await;
    app.subscribe("asked-again@example.com").await;
    app.subscribe("new-pending@example.com").await;
    app.dispatch_all_pending_emails().await;
    let deliveries_of = |email: &'static str| {
        let app = &app;
        async move {
            app.count(&format!(
                "select count(*) from deliveries d join subscribers s on s.id = d.subscriber_id where s.email = '{email}'"
            ))
            .await
        }
    };
    let kept = [
        ("asked-again@example.com", deliveries_of("asked-again@example.com").await),
        ("active@example.com", deliveries_of("active@example.com").await),
        ("left@example.com", deliveries_of("left@example.com").await),
        ("new-pending@example.com", deliveries_of("new-pending@example.com").await),
    ];
    let old_id = app.subscriber_id("old-pending@example.com").await;
    let answers_and_erasures =
        app.count("select (select count(*) from answers) + (select count(*) from erasures)").await;

    let expired = tend::subscriptions::expire_unconfirmed(&app.pool, chrono::Duration::days(7)).await.unwrap();

    assert_eq!((expired.subscribers, expired.requests), (1, 1), "the old pending row and the old request");
    assert_eq!(app.status_of("old-pending@example.com").await, None);
    let orphans = app.count(&format!("select count(*) from deliveries where subscriber_id = {old_id}")).await;
    assert_eq!(orphans, 0, "its confirmation mail went with it");
    for (email, deliveries) in kept {
        assert!(app.status_of(email).await.is_some(), "{email} is kept");
        assert_eq!(deliveries_of(email).await, deliveries, "{email}'s mail is kept");
    }
    assert_eq!(app.status_of("left@example.com").await.as_deref(), Some("unsubscribed"));
    assert_eq!(app.count("select count(*) from subscription_requests").await, 1, "asked-again's fresh request");
    let after = app.count("select (select count(*) from answers) + (select count(*) from erasures)").await;
    assert_eq!(after, answers_and_erasures);
}
