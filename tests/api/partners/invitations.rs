//! Invitations: one per address in 30 days whoever asks, nothing to an
//! address that unsubscribed or bounced, and the same page for each.

use sqlx::PgPool;

use super::{end_link, invitations_to, invite, pairs, prefs_link, subscribe_and_confirm};
use crate::helpers::{TestApp, form_for, spawn_app};

async fn confirmed(app: &TestApp, email: &str) -> String {
    subscribe_and_confirm(app, email, &form_for(email)).await;
    prefs_link(app, email)
}

/// The page an inviter sees after inviting, their own address and link
/// taken out.
fn seen(page: &str, inviter: &str, prefs: &str) -> String {
    assert!(page.contains("If this address can receive an invitation"));
    page.replace(prefs, "PREFS").replace(inviter, "INVITER")
}

#[sqlx::test]
async fn the_same_address_invited_twice_in_30_days_by_one_or_two_subscribers_gets_one_mail(pool: PgPool) {
    let app = spawn_app(pool).await;
    let one = confirmed(&app, "one@example.com").await;
    let two = confirmed(&app, "two@example.com").await;

    let first = invite(&app, &one, "partner@example.com", "").await;
    end_link(&app, &one).await;
    let again = invite(&app, &one, "Partner@Example.com", "&from_name=Sam").await;
    let other = invite(&app, &two, " partner@example.com", "&show_my_address=on").await;
    app.dispatch_all_pending_emails().await;

    assert_eq!(invitations_to(&app, "partner@example.com").len(), 1);
    assert_eq!(first, again, "the inviter cannot tell a second invitation from a first");
    assert!(seen(&first, "one@example.com", &one) == seen(&other, "two@example.com", &two), "the same page");
}

#[sqlx::test]
async fn concurrent_invitations_to_one_address_send_one(pool: PgPool) {
    let app = spawn_app(pool).await;
    let mut prefs = Vec::new();
    for n in 0..4 {
        prefs.push(confirmed(&app, &format!("racer{n}@example.com")).await);
    }

    let invites = prefs.iter().map(|p| invite(&app, p, "sought@example.com", ""));
    futures_util::future::join_all(invites).await;
    app.dispatch_all_pending_emails().await;

    assert_eq!(invitations_to(&app, "sought@example.com").len(), 1);
    assert_eq!(app.count("select count(*) from partner_invitations").await, 1);
}

#[sqlx::test]
async fn an_unsubscribed_or_suppressed_address_gets_nothing_and_the_inviter_sees_the_same_page(pool: PgPool) {
    let app = spawn_app(pool).await;
    let inviters = [
        confirmed(&app, "in1@example.com").await,
        confirmed(&app, "in2@example.com").await,
        confirmed(&app, "in3@example.com").await,
    ];
    let gone = confirmed(&app, "gone@example.com").await;
    app.post_form(&gone, "action=unsubscribe").await;
    sqlx::query(
        "insert into suppressed_addresses (email, smtp_code, reason) values ('bounced@example.com', 550, '5.1.1')",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let before = app.smtp.received().len();

    let sent = invite(&app, &inviters[0], "fresh@example.com", "").await;
    let to_unsubscribed = invite(&app, &inviters[1], "gone@example.com", "").await;
    let to_suppressed = invite(&app, &inviters[2], "bounced@example.com", "").await;
    app.dispatch_all_pending_emails().await;

    let sent = seen(&sent, "in1@example.com", &inviters[0]);
    assert!(sent == seen(&to_unsubscribed, "in2@example.com", &inviters[1]), "the same page");
    assert!(sent == seen(&to_suppressed, "in3@example.com", &inviters[2]), "the same page");
    assert!(invitations_to(&app, "gone@example.com").is_empty());
    assert!(invitations_to(&app, "bounced@example.com").is_empty());
    let received: Vec<_> = app.smtp.received().into_iter().skip(before).flat_map(|m| m.to).collect();
    assert_eq!(received, ["fresh@example.com"], "one mail went out, to the address that may have it");
}

#[sqlx::test]
async fn the_invitation_says_who_invited_and_shows_the_address_only_when_ticked(pool: PgPool) {
    let app = spawn_app(pool).await;
    let inviter = confirmed(&app, "robin@example.com").await;

    invite(&app, &inviter, "named@example.com", "&from_name=Robin").await;
    end_link(&app, &inviter).await;
    invite(&app, &inviter, "anon@example.com", "").await;
    end_link(&app, &inviter).await;
    invite(&app, &inviter, "shown@example.com", "&show_my_address=on").await;
    app.dispatch_all_pending_emails().await;

    let text = |to: &str| invitations_to(&app, to).pop().expect("an invitation").decoded();
    let named = text("named@example.com");
    assert!(named.contains("Robin invited you") && !named.contains("robin@example.com"));
    let anon = text("anon@example.com");
    assert!(anon.contains("Someone you know uses tend") && !anon.contains("robin@example.com"));
    assert!(text("shown@example.com").contains("Someone you know (robin@example.com)"));
    for mail in invitations_to(&app, "anon@example.com") {
        let body = mail.decoded();
        assert!(body.contains("Nothing happens unless you confirm") && body.contains("afraid of your partner"));
        assert!(app.links_in(&mail, "/me/").is_empty() && app.links_in(&mail, "/unsubscribe/").is_empty());
        assert!(mail.header("List-Unsubscribe").is_none(), "none of the inviter's links");
    }
}

#[sqlx::test]
async fn a_bad_invitation_is_refused_with_a_clear_error_and_sends_nothing(pool: PgPool) {
    let app = spawn_app(pool).await;
    let inviter = confirmed(&app, "careful@example.com").await;
    let before = app.count("select count(*) from deliveries").await;
    for (body, says) in [
        ("action=invite_partner&partner_email=not-an-address", "does not look like an email address"),
        ("action=invite_partner&partner_email=p%40example.com&from_name=see+https%3A%2F%2Fx.example", "letters"),
        ("action=invite_partner&partner_email=p%40example.com&show_my_address=maybe", "choose on or off"),
    ] {
        let response = app.post_form(&inviter, body).await;
        assert_eq!(response.status(), 400, "{body}");
        assert!(response.text().await.unwrap().contains(says), "{body}");
    }
    assert_eq!(app.count("select count(*) from deliveries").await, before);
}

#[sqlx::test]
async fn a_forwarded_invitation_links_nobody_and_signing_out_switches_it_off(pool: PgPool) {
    let app = spawn_app(pool).await;
    let inviter = confirmed(&app, "kit@example.com").await;
    invite(&app, &inviter, "lee@example.com", "").await;
    app.dispatch_all_pending_emails().await;
    let link = app.links_in(&invitations_to(&app, "lee@example.com").pop().unwrap(), "/invited/").pop().unwrap();
    let token = link.rsplit('/').next().unwrap().to_owned();
    let page = app.get(&link).await.text().await.unwrap();
    assert!(page.contains("value=\"say-what-helps\" checked") && !page.contains("value=\"check-in\" checked"));
    assert!(page.contains("afraid of your partner"), "the invitation's page carries the safety line");

    let form = super::invited_form("someone.else@example.com", "UTC", "08:00", &token);
    subscribe_and_confirm(&app, "someone.else@example.com", &form).await;
    assert_eq!(pairs(&app).await, 0, "only the invited address is linked");

    app.post_form(&inviter, "action=sign_out_links").await;
    assert_eq!(app.get(&link).await.status(), 410, "the inviter's sign-out switches the invitation off");
    let form = super::invited_form("lee@example.com", "UTC", "08:00", &token);
    subscribe_and_confirm(&app, "lee@example.com", &form).await;
    assert_eq!(pairs(&app).await, 0, "a switched-off invitation links nobody");
}

#[sqlx::test]
async fn the_inviters_page_is_the_same_whether_the_invitation_was_accepted_or_not(pool: PgPool) {
    let app = spawn_app(pool).await;
    let inviter = confirmed(&app, "pat@example.com").await;
    invite(&app, &inviter, "quinn@example.com", "").await;
    app.dispatch_all_pending_emails().await;
    let before = app.get(&inviter).await.text().await.unwrap();

    let link = app.links_in(&invitations_to(&app, "quinn@example.com").pop().unwrap(), "/invited/").pop().unwrap();
    let form = super::invited_form("quinn@example.com", "UTC", "08:00", link.rsplit('/').next().unwrap());
    subscribe_and_confirm(&app, "quinn@example.com", &form).await;
    assert_eq!(pairs(&app).await, 1, "accepted");

    assert_eq!(app.get(&inviter).await.text().await.unwrap(), before);
}

#[sqlx::test]
async fn an_invitation_the_relay_refuses_suppresses_that_address_and_not_the_inviters_mail(pool: PgPool) {
    let app = spawn_app(pool).await;
    let inviter = confirmed(&app, "sage@example.com").await;
    invite(&app, &inviter, "bounce-partner@example.com", "").await;
    app.post_form(&inviter, "action=send_link").await;
    sqlx::query("update deliveries set due_at = now() + interval '1 hour' where kind = 'fresh_link'")
        .execute(&app.pool)
        .await
        .unwrap();

    app.dispatch_all_pending_emails().await;
    sqlx::query("update deliveries set due_at = now() where kind = 'fresh_link'").execute(&app.pool).await.unwrap();
    app.dispatch_all_pending_emails().await;

    let suppressed = "select count(*) from suppressed_addresses where email = 'bounce-partner@example.com'";
    assert_eq!(app.count(suppressed).await, 1);
    let fresh = app.smtp.received_by("sage@example.com").into_iter().filter(|m| m.decoded().contains("fresh link"));
    assert_eq!(fresh.count(), 1, "the inviter's own queued mail still went out");
}
