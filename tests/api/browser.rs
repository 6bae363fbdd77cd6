//! A real browser as a mail scanner: headless Chromium opens every emailed
//! link (running the pages' scripts, pressing nothing) and nothing changes.
//! Needs Chromium (see `webdriver::chromium`); `deploy/local/test.sh`
//! installs Debian's when run as root. Set TEND_SKIP_BROWSER_TESTS=1 to skip
//! on a machine without it.

use std::path::Path;
use std::process::Command;

use sqlx::PgPool;

use crate::helpers::spawn_app;
use crate::webdriver::chromium;

/// What tend's own page behind each kind of emailed link says: a browser's
/// error page, or tend's for a bad link, would not.
fn expected_on_page(link: &str, app_address: &str) -> &'static str {
    let path = link.strip_prefix(app_address).unwrap_or(link);
    if path.starts_with("/confirm/") {
        "Press the button to start your nudges"
    } else if path.starts_with("/unsubscribe/") {
        "One click and no more mail will come"
    } else if path.starts_with("/me/") {
        "<h1>Your preferences</h1>"
    } else if path.starts_with("/n/") {
        "name=\"action\" value=\"done\""
    } else {
        panic!("a link of a kind this test does not know yet: {link}")
    }
}

/// Loads `url` the way a link previewer would and returns the rendered DOM.
fn open_in_browser(binary: &Path, url: &str) -> String {
    let profile = std::env::temp_dir().join(format!("tend-chromium-{}-{}", std::process::id(), rand_tag()));
    let output = Command::new(binary)
        .args(crate::webdriver::CHROMIUM_FLAGS)
        .args(["--virtual-time-budget=2000", "--dump-dom"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(url)
        .output()
        .expect("chromium runs");
    std::fs::remove_dir_all(profile).ok();
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn rand_tag() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
}

#[sqlx::test]
async fn a_browser_opening_every_emailed_link_changes_nothing(pool: PgPool) {
    let Some(binary) = chromium() else { return };
    let app = spawn_app(pool).await;
    app.subscribe("previewed@example.com").await;
    app.dispatch_all_pending_emails().await;
    let id = app.subscribe_and_confirm("reader@example.com").await;
    app.travel_to_next_slot(id).await;
    app.plan().await;
    app.dispatch_all_pending_emails().await;
    let mut links: Vec<String> = ["previewed@example.com", "reader@example.com"]
        .iter()
        .flat_map(|e| app.smtp.received_by(e))
        .flat_map(|m| app.links_in(&m, "/"))
        .collect();
    links.sort();
    links.dedup();
    assert!(links.len() >= 8, "{links:?}");
    let before = app.snapshot().await;
    let statuses: Vec<Option<String>> =
        sqlx::query_scalar("select status from subscribers order by id").fetch_all(&app.pool).await.unwrap();
    for link in &links {
        let url = link.clone();
        let dom = tokio::task::spawn_blocking(move || open_in_browser(binary, &url)).await.unwrap();
        assert!(dom.contains("· tend</title>"), "tend's page, not the browser's, for {link}: {dom}");
        assert!(dom.contains(expected_on_page(link, &app.address)), "{link}: {dom}");
    }
    assert_eq!(app.snapshot().await, before);
    let after: Vec<Option<String>> =
        sqlx::query_scalar("select status from subscribers order by id").fetch_all(&app.pool).await.unwrap();
    assert_eq!(after, statuses, "no status changed");
    assert_eq!(app.count("select count(*) from answers").await, 0);
}

/// A person's walk in a real browser: subscribe, confirm, answer a nudge and
/// look at their progress. The screenshot lands in target/ (and, refreshed by
/// hand, in docs/progress.png for the README).
#[sqlx::test]
async fn a_person_subscribes_confirms_answers_and_sees_their_progress_in_a_browser(pool: PgPool) {
    if chromium().is_none() {
        return;
    }
    let app = spawn_app(pool).await;
    let browser = crate::webdriver::Browser::start().await;

    browser.goto(&app.url("/")).await;
    browser.type_into("#email", "browser@example.com").await;
    browser.click("button[type=submit]").await;
    browser.wait_for("Check your inbox").await;

    app.dispatch_all_pending_emails().await;
    let mail = app.smtp.received_by("browser@example.com").pop().unwrap();
    browser.goto(&app.links_in(&mail, "/confirm/").pop().unwrap()).await;
    browser.click("button[type=submit]").await;
    browser.wait_for("Your subscription is active").await;
    assert_eq!(app.status_of("browser@example.com").await.as_deref(), Some("active"));

    let id = app.subscriber_id("browser@example.com").await;
    app.travel_to_next_slot(id).await;
    app.plan().await;
    app.dispatch_all_pending_emails().await;
    let nudge = app.smtp.received_by("browser@example.com").pop().unwrap();
    let done = app.links_in(&nudge, "/n/").into_iter().find(|l| l.ends_with("?a=done")).unwrap();
    browser.goto(&done).await;
    browser.click("button.chosen").await;
    browser.wait_for("Well done").await;
    assert_eq!(app.count("select count(*) from answers where action = 'done'").await, 1);

    browser.goto(&app.links_in(&nudge, "/me/").pop().unwrap()).await;
    let page = browser.wait_for("Your progress").await;
    assert!(page.contains("1 done"), "{page}");
    let png = browser.screenshot_png().await;
    assert_eq!(&png[1..4], b"PNG");
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("progress.png");
    std::fs::write(&out, png).unwrap();
}
