//! Every subscriber in their own language: a German or Spanish subscriber
//! (chosen on the form, or by the browser's `Accept-Language`) gets every
//! page and mail in that language, with `lang` and `Content-Language` set,
//! and no interface string left in English; unknown locales are refused
//! wherever a locale can be given.

use sqlx::PgPool;

use tend::domain::Purpose;

use crate::helpers::{TestApp, dev_signer, form_soon, output_text, spawn_app, tend, token, urlencode};
use crate::promises::deliver_promise_mail;
use crate::stub_smtp::ReceivedMail;

mod text;
mod unknown;

use text::{english_left, lines, mail_text, mail_words, visible_text};

/// What one subscriber saw, labelled: pages (HTML) and mails (text part).
struct Walk {
    pages: Vec<(&'static str, String)>,
    mails: Vec<(&'static str, ReceivedMail)>,
}

/// How the subscriber says which language they read.
enum Choice<'a> {
    /// The form's `locale` field.
    Form(&'a str),
    /// Only the browser's `Accept-Language`.
    Browser(&'a str),
}

/// Subscribes, confirms, gets the first nudge and answers it, notes a
/// promise and opens its check mail's page, asks for a fresh link, opens
/// preferences and the unsubscribe page, signs every link out (and opens a
/// switched-off one: 410), then unsubscribes.
async fn walk(app: &TestApp, email: &str, choice: Choice<'_>) -> Walk {
    let (mut pages, mut mails) = (Vec::new(), Vec::new());
    let (field, browser) = match &choice {
        Choice::Form(tag) => (format!("&locale={tag}"), "en"),
        Choice::Browser(header) => (String::new(), *header),
    };
    let get = |path: String| {
        let request = app.client.get(app.url(&path)).header("accept-language", browser);
        async move { request.send().await.unwrap() }
    };
    let post = |path: String, body: String| {
        let request = app.client.post(app.url(&path)).header("accept-language", browser);
        let request = request.header("content-type", "application/x-www-form-urlencoded").body(body);
        async move { request.send().await.unwrap() }
    };
    let html = |response: reqwest::Response| async move { response.text().await.unwrap() };
    let last_mail = |mails: &mut Vec<(&'static str, ReceivedMail)>, label| {
        let mail = app.smtp.received_by(email).pop().expect(label);
        mails.push((label, mail.clone()));
        mail
    };

    // The front page knows nobody yet: it follows the browser.
    if let Choice::Browser(_) = choice {
        pages.push(("subscribe", html(get("/".into()).await).await));
    }
    let (form, _) = form_soon(email);
    pages.push(("check inbox", html(post("/subscribe".into(), form + "&tracks=follow-through" + &field).await).await));
    app.dispatch_all_pending_emails().await;
    let confirmation = last_mail(&mut mails, "confirm");
    let confirm = app.links_in(&confirmation, "/confirm/").pop().unwrap();
    pages.push(("confirm", html(get(confirm.clone()).await).await));
    pages.push(("confirmed", html(post(confirm, String::new()).await).await));
    app.dispatch_all_pending_emails().await;
    let welcome = last_mail(&mut mails, "welcome");
    let preferences = app.links_in(&welcome, "/me/").pop().unwrap();

    let id = app.subscriber_id(email).await;
    app.travel_to_next_slot(id).await;
    app.plan().await;
    app.dispatch_all_pending_emails().await;
    let nudge = last_mail(&mut mails, "nudge");
    let answer = app.links_in(&nudge, "/n/").into_iter().find(|l| l.ends_with("?a=done")).unwrap();
    pages.push(("answer", html(get(answer.clone()).await).await));
    pages.push(("answered", html(post(answer.replace("?a=done", ""), "action=done".into()).await).await));

    let due = (chrono::Utc::now() + chrono::Duration::days(30)).format("%Y-%m-%d");
    // The promise's words are the subscriber's own, in no language: their address.
    let promise = format!("action=promise&promise={}&due_date={due}&due_time=12%3A30", urlencode(email));
    pages.push(("promise noted", html(post(preferences.clone(), promise).await).await));
    let promise_page = deliver_promise_mail(app, email, "promise_check").await;
    last_mail(&mut mails, "promise check");
    pages.push(("promise", html(get(promise_page).await).await));

    pages.push(("fresh link asked", html(post(preferences.clone(), "action=send_link".into()).await).await));
    app.dispatch_all_pending_emails().await;
    last_mail(&mut mails, "fresh link");
    pages.push(("preferences", html(get(preferences.clone()).await).await));
    let unsubscribe = app.links_in(&nudge, "/unsubscribe/").pop().unwrap();
    pages.push(("unsubscribe", html(get(unsubscribe.clone()).await).await));
    // The "keep going" page, as the link in a keep-going mail opens it.
    let week = chrono::Utc::now() + chrono::Duration::days(7);
    let resume = format!("/resume/{}", token(&dev_signer(), Purpose::Resume, id, week));
    pages.push(("keep going", html(get(resume).await).await));
    pages.push(("signed out", html(post(preferences.clone(), "action=sign_out_links".into()).await).await));
    let gone = get(preferences).await;
    assert_eq!(gone.status(), 410);
    pages.push(("switched off", html(gone).await));
    pages.push(("unsubscribed", html(post(unsubscribe, String::new()).await).await));
    Walk { pages, mails }
}

/// Every page says `lang="tag"`, every mail `Content-Language: tag`.
fn assert_in(walk: &Walk, tag: &str) {
    for (label, page) in &walk.pages {
        assert!(page.contains(&format!("<html lang=\"{tag}\">")), "{label} page is not in {tag}:\n{page}");
    }
    for (label, mail) in &walk.mails {
        assert_eq!(mail.header("Content-Language").as_deref(), Some(tag), "{label} mail");
        assert!(mail_text(mail).contains(&format!("<html lang=\"{tag}\">")), "{label} mail's HTML part");
    }
}

/// Fails on any visible string of `other` that reads as in `en`.
fn assert_nothing_left_in_english(en: &Walk, other: &Walk, tag: &str) {
    for ((label, en_page), (_, page)) in en.pages.iter().zip(&other.pages) {
        let left = english_left(&visible_text(en_page), &visible_text(page));
        assert!(left.is_empty(), "{tag} {label} page has English left: {left:?}");
    }
    for ((label, en_mail), (_, mail)) in en.mails.iter().zip(&other.mails) {
        let left = english_left(&mail_words(en_mail), &mail_words(mail));
        assert!(left.is_empty(), "{tag} {label} mail has English left: {left:?}");
    }
}

#[sqlx::test]
async fn choosing_german_on_the_form_makes_every_page_and_mail_german(pool: PgPool) {
    let app = spawn_app(pool).await;
    let en = walk(&app, "en@example.com", Choice::Form("en")).await;
    let de = walk(&app, "de@example.com", Choice::Form("de")).await;
    assert_in(&en, "en");
    assert_in(&de, "de");
    assert_nothing_left_in_english(&en, &de, "de");
    let page = |label| &de.pages.iter().find(|(l, _)| *l == label).unwrap().1;
    assert!(page("confirm").contains("Bestätige dein Abo"));
    assert!(page("keep going").contains("Weitermachen?"));
    assert!(page("answered").contains("Gut gemacht"));
    assert!(page("preferences").contains("Deine Einstellungen"));
    assert!(page("unsubscribed").contains("Du hast abbestellt"));
}

#[sqlx::test]
async fn a_german_browser_subscribes_in_german_without_choosing(pool: PgPool) {
    let app = spawn_app(pool).await;
    let de = walk(&app, "browser@example.com", Choice::Browser("de-DE,de;q=0.9,en;q=0.8")).await;
    assert_in(&de, "de");
    assert!(de.pages[0].1.contains("<option value=\"de\" lang=\"de\" selected>Deutsch</option>"));
    let stored: String = sqlx::query_scalar("select locale from subscribers").fetch_one(&app.pool).await.unwrap();
    assert_eq!(stored, "de");
}

#[sqlx::test]
async fn choosing_spanish_makes_every_page_and_mail_spanish(pool: PgPool) {
    let app = spawn_app(pool).await;
    let en = walk(&app, "en@example.com", Choice::Form("en")).await;
    let es = walk(&app, "es@example.com", Choice::Form("es")).await;
    assert_in(&es, "es");
    assert_nothing_left_in_english(&en, &es, "es");
    assert!(es.pages.iter().any(|(l, p)| *l == "answer" && p.contains("¿Qué tal te ha ido?")));
}

/// Every mail kind and every variant, as `tend catalog preview` renders it.
#[test]
fn the_preview_of_every_mail_kind_in_german_and_spanish_has_no_english_line() {
    let preview = |tag: &str| {
        let output = tend_preview(tag);
        assert!(output.status.success(), "{}", output_text(&output));
        String::from_utf8(output.stdout).unwrap()
    };
    let en = preview("en");
    for tag in ["de", "es"] {
        let other = preview(tag);
        let kinds = tend::domain::DeliveryKind::with_mail_words().count();
        assert_eq!(other.matches("==== mail ").count(), kinds, "every mail kind is previewed in {tag}");
        let left = english_left(&lines(&en), &lines(&other));
        assert!(left.is_empty(), "{tag}: lines read as in English: {left:?}");
    }
}

fn tend_preview(tag: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_tend"))
        .args(["catalog", "preview", "--locale", tag])
        .env_remove("TEND_CONFIG")
        .output()
        .unwrap()
}

#[sqlx::test]
async fn a_subscriber_added_in_spanish_keeps_it_in_export_and_can_change_it_in_preferences(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let added = tend(&pool, &["subscriber", "add", "cli@example.com", "--locale", "es", "--preconfirmed"], &[]);
    assert!(added.status.success(), "{}", output_text(&added));
    let export = tend(&pool, &["subscriber", "export", "cli@example.com"], &[]);
    let export: serde_json::Value = serde_json::from_slice(&export.stdout).unwrap();
    assert_eq!(export["subscriber"]["locale"], "es", "{export}");
    let id = app.subscriber_id("cli@example.com").await;
    app.travel_to_next_slot(id).await;
    app.plan().await;
    app.dispatch_all_pending_emails().await;
    let nudge = app.smtp.received_by("cli@example.com").pop().unwrap();
    assert_eq!(nudge.header("Content-Language").as_deref(), Some("es"));
    let preferences = app.links_in(&nudge, "/me/").pop().unwrap();
    let form = "action=save&timezone=UTC&time=08%3A30&max_per_day=1&tracks=check-in&locale=de";
    let saved = app.post_form(&preferences, form).await.text().await.unwrap();
    assert!(saved.contains("<html lang=\"de\">") && saved.contains("Gespeichert."), "{saved}");
    let stored: String = sqlx::query_scalar("select locale from subscribers").fetch_one(&pool).await.unwrap();
    assert_eq!(stored, "de");
}
