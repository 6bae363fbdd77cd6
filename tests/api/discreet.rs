//! Discreet mail: for a subscriber who chose it, no mail's From name,
//! Subject or first text line (what an inbox list, a lock screen or a
//! notification shows) says what tend is about. Checked over
//! `tend catalog preview --discreet` for every kind and variant, and over
//! the real mails of a discreet subscriber's whole flow.

use std::process::Command;

use chrono::{Duration, Utc};
use sqlx::PgPool;
use tend::domain::{DeliveryKind, Locale, Track};

use crate::helpers::{TestApp, form_for, output_text, spawn_app, tend, urlencode};
use crate::stub_smtp::ReceivedMail;

/// What must not show before a mail is opened, as lowercase fragments: a
/// substring anywhere counts (stricter than the lint's whole words).
fn giveaways() -> Vec<String> {
    let mut words: Vec<String> =
        ["trust", "partner", "relationship", "promise", "tend"].iter().map(|w| w.to_string()).collect();
    for track in Track::ALL {
        words.push(track.key().to_lowercase());
        words.push(track.key().replace('-', " "));
        words.push(tend::i18n::tr(&Locale::en()).track(track).to_lowercase());
    }
    words
}

/// The giveaways in `text`, if any.
fn found(text: &str) -> Vec<String> {
    let text = text.to_lowercase();
    giveaways().into_iter().filter(|w| text.contains(w.as_str())).collect()
}

/// (label, From name, Subject, first text line) of every previewed message.
fn preview(args: &[&str]) -> Vec<(String, String, String, String)> {
    let output = Command::new(env!("CARGO_BIN_EXE_tend")).args(args).env_remove("TEND_CONFIG").output().unwrap();
    assert!(output.status.success(), "{}", output_text(&output));
    let text = String::from_utf8(output.stdout).unwrap();
    text.split("==== ")
        .skip(1)
        .map(|block| {
            let mut lines = block.lines();
            let label = lines.next().unwrap().split(" · ").next().unwrap().to_owned();
            let from = lines.next().unwrap().strip_prefix("From: ").expect("a From line").to_owned();
            let subject = lines.next().unwrap().strip_prefix("Subject: ").expect("a Subject line").to_owned();
            let first = lines.find(|l| !l.trim().is_empty()).unwrap().to_owned();
            (label, from, subject, first)
        })
        .collect()
}

#[test]
fn the_discreet_preview_shows_every_kind_and_variant_without_a_giveaway() {
    let messages = preview(&["catalog", "preview", "--discreet"]);
    for kind in DeliveryKind::with_mail_words() {
        assert!(messages.iter().any(|m| m.0 == format!("mail {}", kind.key())), "mail {kind} is previewed");
    }
    for track in Track::ALL {
        assert!(messages.iter().filter(|m| m.0.starts_with(&format!("track {},", track.key()))).count() >= 8);
    }
    for (label, from, subject, first) in &messages {
        assert_eq!(from, "Daily notes", "{label}");
        for shown in [from, subject, first] {
            assert!(found(shown).is_empty(), "{label}: {shown:?} gives away {:?}", found(shown));
        }
    }
    // The same check finds the giveaways in the ordinary preview: it would catch a slip.
    let plain = preview(&["catalog", "preview"]);
    assert!(plain.iter().all(|(_, from, _, _)| from == "tend"));
    assert!(
        plain.iter().filter(|(_, _, subject, first)| !found(subject).is_empty() || !found(first).is_empty()).count()
            > 10
    );
}

/// The first line of a mail's text part.
fn first_text_line(mail: &ReceivedMail) -> String {
    let decoded = mail.decoded();
    let part = &decoded[decoded.find("Content-Type: text/plain").expect("a text part")..];
    let body = &part[part.find("\r\n\r\n").unwrap() + 4..];
    body.lines().find(|l| !l.trim().is_empty()).unwrap().to_owned()
}

/// Nothing a discreet mail shows before it is opened gives tend away
/// (the inbound tests check the "which one fits?" mail with it too).
pub fn assert_discreet(mail: &ReceivedMail) {
    let from = mail.header("From").unwrap();
    assert!(from.starts_with("\"Daily notes\"") || from.starts_with("Daily notes"), "{from}");
    let subject = mail.header("Subject").unwrap();
    let first = first_text_line(mail);
    for shown in [&subject, &first] {
        assert!(found(shown).is_empty(), "{shown:?} gives away {:?} (From {from})", found(shown));
    }
    assert!(from.ends_with("<nudges@localhost>"), "the address stays mail.from's: {from}");
}

/// Sends what is due now and returns the mails to `email` that came.
async fn deliver(app: &TestApp, email: &str, seen: &mut usize) -> Vec<ReceivedMail> {
    app.dispatch_all_pending_emails().await;
    let mails = app.smtp.received_by(email);
    let new = mails[*seen..].to_vec();
    *seen = mails.len();
    new
}

#[sqlx::test]
async fn a_discreet_subscriber_s_mails_give_nothing_away_from_the_confirmation_on(pool: PgPool) {
    let app = spawn_app(pool).await;
    let email = "quiet@example.com";
    let mut seen = 0;
    let form = format!("{}&tracks=follow-through&discreet=on", form_for(email));
    assert_eq!(app.post_form("/subscribe", form).await.status(), 200);
    let mut mails = deliver(&app, email, &mut seen).await;
    let confirm = app.links_in(&mails[0], "/confirm/").pop().unwrap();
    assert_eq!(app.post_form(&confirm, "").await.status(), 200);
    mails.extend(deliver(&app, email, &mut seen).await);
    let id = app.subscriber_id(email).await;
    app.travel_to_next_slot(id).await;
    app.plan().await;
    mails.extend(deliver(&app, email, &mut seen).await);
    let preferences = app.links_in(mails.last().unwrap(), "/me/").pop().unwrap();
    let due = (Utc::now() + Duration::days(30)).format("%Y-%m-%d");
    app.post_form(&preferences, format!("action=promise&promise=Fix+the+gate&due_date={due}")).await;
    app.post_form(&preferences, "action=weekly_on").await;
    sqlx::query("update deliveries set due_at = now() where promise_id is not null").execute(&app.pool).await.unwrap();
    sqlx::query("update subscribers set next_summary_at = now() - interval '1 minute'")
        .execute(&app.pool)
        .await
        .unwrap();
    app.plan().await;
    assert_eq!(app.post_form("/link", format!("email={}", urlencode(email))).await.status(), 200);
    mails.extend(deliver(&app, email, &mut seen).await);
    sqlx::query("update subscribers set status = 'resting'").execute(&app.pool).await.unwrap();
    sqlx::query("insert into deliveries (subscriber_id, kind, slot, due_at) values ($1, 'keep_going', now(), now())")
        .bind(id)
        .execute(&app.pool)
        .await
        .unwrap();
    mails.extend(deliver(&app, email, &mut seen).await);

    let kinds: Vec<String> = sqlx::query_scalar("select distinct kind::text from deliveries where status = 'sent'")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    for kind in
        ["confirm", "welcome", "nudge", "promise_check", "promise_review", "weekly_summary", "fresh_link", "keep_going"]
    {
        assert!(kinds.iter().any(|k| k == kind), "a {kind} mail was sent: {kinds:?}");
    }
    assert_eq!(mails.len(), kinds.len(), "one mail of each kind");
    mails.iter().for_each(assert_discreet);
    let subjects: std::collections::HashSet<String> = mails.iter().map(|m| m.header("Subject").unwrap()).collect();
    assert_eq!(subjects.len(), mails.len(), "every kind has subjects of its own");

    // Switched off in the preferences: the next mail says what it is again.
    sqlx::query("update subscribers set status = 'active'").execute(&app.pool).await.unwrap();
    let fresh = app.links_in(&mails.iter().find(|m| m.decoded().contains("one day")).unwrap().clone(), "/me/").pop();
    let body = "action=save&timezone=UTC&time=08%3A30&tracks=follow-through&discreet=off&discreet=on";
    assert_eq!(app.post_form(fresh.as_deref().unwrap(), body).await.status(), 200, "the last value counts");
    let still: bool = sqlx::query_scalar("select discreet from subscribers").fetch_one(&app.pool).await.unwrap();
    assert!(still);
    let body = "action=save&timezone=UTC&time=08%3A30&tracks=follow-through&discreet=off";
    assert_eq!(app.post_form(fresh.as_deref().unwrap(), body).await.status(), 200);
    assert_eq!(app.post_form("/link", format!("email={}", urlencode(email))).await.status(), 200);
    let loud = deliver(&app, email, &mut seen).await.pop().unwrap();
    assert!(loud.header("From").unwrap().starts_with("tend"), "{:?}", loud.header("From"));
}

#[sqlx::test]
async fn discreet_comes_from_json_the_cli_and_csv_and_maybe_is_refused_everywhere(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let json = serde_json::json!({"email": "json@example.com", "timezone": "UTC", "discreet": true});
    assert_eq!(app.post_json("/subscribe", &json).await.status(), 202);
    app.dispatch_all_pending_emails().await;
    assert_discreet(&app.smtp.received_by("json@example.com").pop().unwrap());
    let before = app.snapshot().await;
    let maybe = format!("{}&discreet=maybe", form_for("maybe@example.com"));
    let refused = app.post_form("/subscribe", maybe).await;
    assert_eq!(refused.status(), 400);
    assert!(refused.text().await.unwrap().contains("choose on or off"));
    let json = serde_json::json!({"email": "maybe@example.com", "discreet": "maybe"});
    let refused = app.post_json("/subscribe", &json).await;
    assert_eq!(
        (refused.status().as_u16(), refused.json::<serde_json::Value>().await.unwrap()["field"].clone()),
        (400, "discreet".into())
    );
    assert_eq!(app.snapshot().await, before, "nothing written");

    let added = tend(&pool, &["subscriber", "add", "cli@example.com", "--discreet"], &[]);
    assert!(added.status.success(), "{}", output_text(&added));
    let dir = std::env::temp_dir().join(format!("tend-discreet-{}-{}", std::process::id(), rand::random::<u32>()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("people.csv");
    std::fs::write(&csv, "email,discreet\ncsv-on@example.com,yes\ncsv-off@example.com,\ncsv-bad@example.com,maybe\n")
        .unwrap();
    let imported = tend(&pool, &["subscriber", "import", csv.to_str().unwrap()], &[]);
    assert_eq!(imported.status.code(), Some(2), "{}", output_text(&imported));
    assert!(output_text(&imported).contains("row 4: discreet \"maybe\""), "{}", output_text(&imported));
    let rows: Vec<(String, bool)> =
        sqlx::query_as("select email, discreet from subscribers order by email").fetch_all(&pool).await.unwrap();
    let discreet = |email: &str| rows.iter().find(|(e, _)| e == email).map(|(_, d)| *d);
    assert_eq!(discreet("cli@example.com"), Some(true));
    assert_eq!(discreet("csv-on@example.com"), Some(true));
    assert_eq!(discreet("csv-off@example.com"), Some(false));
    assert_eq!(discreet("csv-bad@example.com"), None, "the bad row is not imported");
    std::fs::remove_dir_all(dir).ok();
}

#[sqlx::test]
async fn a_stranger_typing_a_discreet_person_s_address_cannot_make_their_mail_loud(pool: PgPool) {
    let app = spawn_app(pool).await;
    let email = "sticky@example.com";
    let form = format!("{}&discreet=on", form_for(email));
    assert_eq!(app.post_form("/subscribe", form).await.status(), 200);
    app.dispatch_all_pending_emails().await;
    // Someone else subscribes the same (still pending) address, without discreet mail.
    assert_eq!(app.subscribe(email).await.status(), 200);
    app.dispatch_all_pending_emails().await;
    let mails = app.smtp.received_by(email);
    assert_eq!(mails.len(), 2);
    mails.iter().for_each(assert_discreet);
}

/// A request for a pending address changes nothing until it is confirmed,
/// with one exception: it may switch discreet mail on at once, so that the
/// confirmation mail it brings is already discreet. Confirming a later,
/// loud request keeps it on.
#[sqlx::test]
async fn a_request_switches_discreet_mail_on_at_once_and_a_later_confirmation_never_off(pool: PgPool) {
    let app = spawn_app(pool).await;
    let email = "late@example.com";
    assert_eq!(app.subscribe(email).await.status(), 200);
    let stored = || async {
        let row = sqlx::query_as::<_, (bool, String)>("select discreet, timezone from subscribers");
        row.fetch_one(&app.pool).await.unwrap()
    };
    let tokyo = format!("email={}&timezone=Asia%2FTokyo&time=08%3A30&discreet=on", urlencode(email));
    assert_eq!(app.post_form("/subscribe", tokyo).await.status(), 200);
    let (on, zone) = stored().await;
    assert!(on, "discreet at once");
    assert_ne!(zone, "Asia/Tokyo", "the rest waits for the confirmation");
    assert_eq!(app.subscribe(email).await.status(), 200);
    app.dispatch_all_pending_emails().await;
    let mails = app.smtp.received_by(email);
    assert_eq!(mails.len(), 3);
    mails[1..].iter().for_each(assert_discreet);

    let confirm = app.links_in(&mails[2], "/confirm/").pop().unwrap();
    assert_eq!(app.post_form(&confirm, "").await.status(), 200);
    assert!(stored().await.0, "the loud request confirmed, discreet stays on");
}
