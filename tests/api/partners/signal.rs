//! The weekly shared signal: only when both switched it on and both
//! answered in the week, once per week, and nothing when either side stops.

use sqlx::PgPool;

use super::{Side, answer_a_nudge, let_the_week_end, linked_pair, pairs, send_shared_signals, signals_to};
use crate::helpers::{TestApp, spawn_app};

const A: (&str, &str) = ("ash@example.com", "email=ash%40example.com&timezone=UTC&time=08%3A30");
const B: (&str, &str, &str) = ("bo@example.com", "UTC", "09:15");

/// A linked pair, both with the signal on, who both answered (`both`) or
/// only the first of them answered, in a week that has since ended.
async fn linked_and_answered(app: &TestApp, both: bool) -> (Side, Side) {
    let (a, b) = linked_pair(app, A, B).await;
    for side in [&a, &b] {
        let page = app.post_form(&side.prefs, "action=signal_on").await.text().await.unwrap();
        assert!(page.contains("Your shared signal is on."), "{}", side.email);
    }
    answer_a_nudge(app, &a, "done").await;
    if both {
        answer_a_nudge(app, &b, "partly").await;
    }
    let_the_week_end(app).await;
    (a, b)
}

#[sqlx::test]
async fn when_both_answered_in_the_week_each_gets_exactly_one_signal(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (a, b) = linked_and_answered(&app, true).await;

    send_shared_signals(&app).await;
    // The job runs every hour, on every instance: the week's signal stays one.
    send_shared_signals(&app).await;

    assert_eq!(signals_to(&app, a.email), 1);
    assert_eq!(signals_to(&app, b.email), 1);
}

#[sqlx::test]
async fn when_only_one_answered_neither_gets_a_signal(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (a, b) = linked_and_answered(&app, false).await;

    send_shared_signals(&app).await;

    assert_eq!(signals_to(&app, a.email) + signals_to(&app, b.email), 0);
}

#[sqlx::test]
async fn when_either_switches_it_off_neither_gets_it_and_the_other_page_does_not_say_who(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (a, b) = linked_and_answered(&app, true).await;
    let b_page_before = app.get(&b.prefs).await.text().await.unwrap();

    // Switched off before the job runs: nothing is queued.
    let off = app.post_form(&a.prefs, "action=signal_off").await.text().await.unwrap();
    assert!(off.contains("Your shared signal is off. Your partner is not told."));
    send_shared_signals(&app).await;
    assert_eq!(signals_to(&app, a.email) + signals_to(&app, b.email), 0);
    assert_eq!(app.get(&b.prefs).await.text().await.unwrap(), b_page_before, "B's page is unchanged");

    // Switched off after the job queued it, before it went out: nothing is sent.
    app.post_form(&a.prefs, "action=signal_on").await;
    sqlx::query("delete from shared_signal_weeks").execute(&app.pool).await.unwrap();
    app.planner.plan_shared_signals().await.unwrap();
    assert_eq!(app.count("select count(*) from deliveries where kind = 'shared_signal'").await, 2);
    app.post_form(&b.prefs, "action=signal_off").await;
    sqlx::query("update deliveries set due_at = now() where kind = 'shared_signal'").execute(&app.pool).await.unwrap();
    app.dispatch_all_pending_emails().await;
    assert_eq!(signals_to(&app, a.email) + signals_to(&app, b.email), 0);
    let a_page = app.get(&a.prefs).await.text().await.unwrap();
    assert!(a_page.contains("Your shared signal is on.") && !a_page.contains("is off"), "A sees only their own switch");
}

#[sqlx::test]
async fn unlinking_signing_out_or_unsubscribing_ends_the_link_at_once(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (a, b) = linked_pair(&app, A, B).await;
    let b_page = app.get(&b.prefs).await.text().await.unwrap();
    let page = app.post_form(&a.prefs, "action=unlink").await.text().await.unwrap();
    assert!(page.contains("The link is ended on your side") && page.contains("invite_partner"));
    assert_eq!(pairs(&app).await, 0);
    assert_eq!(app.get(&b.prefs).await.text().await.unwrap(), b_page, "Blair's page does not say Ash left");

    let (c, _d) = linked_pair(
        &app,
        ("cy@example.com", "email=cy%40example.com&timezone=UTC"),
        ("di@example.com", "UTC", "10:00"),
    )
    .await;
    assert_eq!(app.post_form(&c.prefs, "action=sign_out_links").await.status(), 200);
    assert_eq!(pairs(&app).await, 0);

    let (_e, f) = linked_pair(
        &app,
        ("ed@example.com", "email=ed%40example.com&timezone=UTC"),
        ("fi@example.com", "UTC", "10:00"),
    )
    .await;
    app.post_form(&f.prefs, "action=unsubscribe").await;
    assert_eq!(pairs(&app).await, 0);
}
