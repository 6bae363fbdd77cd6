//! Nothing of one partner reaches the other: every page and mail of each
//! side is rendered, the other side's answers, tracks, promises, times and
//! status are changed, and the pages are rendered again, unchanged; no mail
//! of one side names anything of the other's.

use sqlx::PgPool;

use super::{Side, answer_a_nudge, let_the_week_end, linked_pair, send_shared_signals, signals_to};
use crate::helpers::{TestApp, spawn_app};

const A: (&str, &str) = (
    "alex@example.com",
    "email=alex%40example.com&timezone=Europe%2FBerlin&time=07%3A15&tracks=check-in&tracks=follow-through",
);
const B: (&str, &str, &str) = ("blair@example.com", "America/Chicago", "21:40");

/// Everything of one side's own that the other side must never see.
struct Secrets {
    words: &'static [&'static str],
}

const ALEX: Secrets = Secrets {
    words: &[
        "alex",
        "Berlin",
        "Lisbon",
        "07:15",
        "06:05",
        "violin",
        "Open, honest talk",
        "Follow-through",
        "Transparency",
        "Professional support",
        "paused",
    ],
};
const BLAIR: Secrets = Secrets {
    words: &["blair", "Chicago", "Denver", "21:40", "20:20", "market walk", "Saying what would help", "Your own pace"],
};

/// Every page of a side: preferences, the answer page of a nudge, and for
/// the invited side the invitation's subscribe page.
async fn pages(app: &TestApp, links: &[String]) -> Vec<String> {
    let mut pages = Vec::new();
    for link in links {
        let response = app.get(link).await;
        assert_eq!(response.status(), 200, "{link}");
        pages.push(response.text().await.unwrap());
    }
    pages
}

/// Changes everything the other side could learn about: a promise, the
/// time, zone and tracks, an answer, and the status (paused).
async fn change_everything(app: &TestApp, side: &Side, zone: &str, time: &str, tracks: &str, promise: &str) {
    let due = (chrono::Utc::now() + chrono::Duration::days(3)).date_naive();
    let body = format!("action=promise&promise={promise}&due_date={due}&due_time=18%3A00");
    assert_eq!(app.post_form(&side.prefs, body).await.status(), 200);
    let body = format!("action=save&timezone={zone}&time={time}&{tracks}");
    assert_eq!(app.post_form(&side.prefs, body).await.status(), 200);
    answer_a_nudge(app, side, "not_yet").await;
    assert_eq!(app.post_form(&side.prefs, "action=pause").await.status(), 200);
}

fn assert_mails_keep(app: &TestApp, to: &str, secrets: &Secrets) {
    let mails = app.smtp.received_by(to);
    assert!(mails.len() >= 4, "confirmation, welcome, a nudge and the signal were rendered: {}", mails.len());
    for mail in mails {
        let text = without_date_header(&mail.decoded());
        for secret in secrets.words {
            assert!(!text.contains(secret), "a mail to {to} names {secret:?}:\n{text}");
        }
    }
}

/// The mail without its `Date:` line: the time it was sent is this side's
/// own fact, and it held "21:40" when the test ran at 21:40 UTC.
fn without_date_header(text: &str) -> String {
    text.split("\r\n").filter(|line| !line.starts_with("Date:")).collect::<Vec<_>>().join("\r\n")
}

#[sqlx::test]
async fn no_page_or_mail_of_one_partner_shows_anything_of_the_other(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (a, b) = linked_pair(&app, A, B).await;
    for side in [&a, &b] {
        app.post_form(&side.prefs, "action=signal_on").await;
    }
    let a_nudge = answer_a_nudge(&app, &a, "done").await;
    let b_nudge = answer_a_nudge(&app, &b, "done").await;
    let_the_week_end(&app).await;
    send_shared_signals(&app).await;
    assert_eq!((signals_to(&app, a.email), signals_to(&app, b.email)), (1, 1));
    let invitation = super::invitations_to(&app, b.email).pop().unwrap();
    let b_links = [b.prefs.clone(), b_nudge, app.links_in(&invitation, "/invited/").pop().unwrap()];
    let a_links = [a.prefs.clone(), a_nudge];

    let b_before = pages(&app, &b_links).await;
    change_everything(&app, &a, "Europe%2FLisbon", "06%3A05", "tracks=transparency&tracks=support", "violin").await;
    assert_eq!(pages(&app, &b_links).await, b_before, "Blair's pages do not change with anything of Alex's");
    let a_before = pages(&app, &a_links).await;
    change_everything(&app, &b, "America%2FDenver", "20%3A20", "tracks=own-support", "market+walk").await;
    assert_eq!(pages(&app, &a_links).await, a_before, "Alex's pages do not change with anything of Blair's");

    // The pages list every track and zone in their forms; the other's
    // address is the one fact they could still name.
    assert!(b_before.iter().all(|page| !page.contains("alex")), "Blair's pages never name Alex");
    assert!(a_before.iter().all(|page| !page.contains("blair")), "Alex's pages never name Blair");
    assert_mails_keep(&app, b.email, &ALEX);
    assert_mails_keep(&app, a.email, &BLAIR);
}

#[sqlx::test]
async fn export_shows_only_this_sides_link_facts_and_forget_ends_the_link(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let (a, b) = linked_pair(&app, A, B).await;
    app.post_form(&b.prefs, "action=signal_on").await;

    let a_export = crate::helpers::tend(&pool, &["subscriber", "export", a.email], &[]);
    let b_export = crate::helpers::tend(&pool, &["subscriber", "export", b.email], &[]);
    let a_json: serde_json::Value = serde_json::from_slice(&a_export.stdout).expect("an export");
    let b_json: serde_json::Value = serde_json::from_slice(&b_export.stdout).expect("an export");

    assert_eq!(a_json["partner"]["linked"], true);
    assert_eq!(a_json["partner"]["shared_signal"], false, "Alex's own switch, not Blair's");
    assert_eq!(a_json["partner"]["invitations_sent"].as_array().map(Vec::len), Some(1));
    assert_eq!(b_json["partner"]["shared_signal"], true);
    assert!(!String::from_utf8_lossy(&a_export.stdout).contains("blair"), "no partner address in an export");
    assert!(!String::from_utf8_lossy(&b_export.stdout).contains("alex"), "no partner address in an export");

    let a_page = app.get(&a.prefs).await.text().await.unwrap();
    let forgotten = crate::helpers::tend(&pool, &["subscriber", "forget", b.email], &[]);
    assert!(forgotten.status.success());
    assert_eq!(super::pairs(&app).await, 0, "the link ends with the erasure");
    assert_eq!(app.count("select count(*) from partner_invitations").await, 0, "and the invitation to Blair");
    assert_eq!(app.get(&a.prefs).await.text().await.unwrap(), a_page, "Alex's page does not say Blair left");
}
