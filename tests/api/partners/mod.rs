//! Both partners: the invitation, the link made when the invited partner
//! confirms, the weekly shared signal, and what never crosses between them.
//! The steps every test here drives are below.

use crate::helpers::{TestApp, urlencode};
use crate::stub_smtp::ReceivedMail;

mod invitations;
mod privacy;
mod signal;

/// One side of a linked pair: who they are and their preferences link.
pub struct Side {
    pub id: i64,
    pub email: &'static str,
    pub prefs: String,
}

/// The form the invited partner fills in: their own time, zone and tracks.
pub fn invited_form(email: &str, zone: &str, time: &str, token: &str) -> String {
    format!(
        "email={}&timezone={}&time={}&tracks=say-what-helps&tracks=own-pace&invitation={token}",
        urlencode(email),
        urlencode(zone),
        urlencode(time)
    )
}

/// The preferences link in the last mail that has one.
pub fn prefs_link(app: &TestApp, email: &str) -> String {
    let mails = app.smtp.received_by(email);
    mails.iter().rev().find_map(|m| app.links_in(m, "/me/").pop()).expect("a preferences link")
}

/// Posts an invitation from `prefs`; the page's text.
pub async fn invite(app: &TestApp, prefs: &str, partner: &str, extra: &str) -> String {
    let body = format!("action=invite_partner&partner_email={}{extra}", urlencode(partner));
    let response = app.post_form(prefs, body).await;
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

/// The invitation mails `address` received.
pub fn invitations_to(app: &TestApp, address: &str) -> Vec<ReceivedMail> {
    app.smtp.received_by(address).into_iter().filter(|m| !app.links_in(m, "/invited/").is_empty()).collect()
}

/// `a` subscribes with `a_form` and confirms, invites `b`, who opens the
/// invitation, subscribes with their own choices and confirms: linked.
pub async fn linked_pair(app: &TestApp, a: (&'static str, &str), b: (&'static str, &str, &str)) -> (Side, Side) {
    let a_id = subscribe_and_confirm(app, a.0, a.1).await;
    let a_prefs = prefs_link(app, a.0);
    invite(app, &a_prefs, b.0, "&from_name=Sam").await;
    app.dispatch_all_pending_emails().await;
    let invitation = invitations_to(app, b.0).pop().expect("an invitation");
    let link = app.links_in(&invitation, "/invited/").pop().unwrap();
    let page = app.get(&link).await.text().await.unwrap();
    let token = link.rsplit('/').next().unwrap().to_owned();
    assert!(page.contains(&format!("name=\"invitation\" value=\"{token}\"")), "the page carries the invitation");
    let b_id = subscribe_and_confirm(app, b.0, &invited_form(b.0, b.1, b.2, &token)).await;
    let linked =
        app.count(&format!("select count(*) from partner_links where subscriber_id in ({a_id}, {b_id})")).await;
    assert_eq!(linked, 2, "confirming through the invitation links the two");
    let b_prefs = prefs_link(app, b.0);
    (Side { id: a_id, email: a.0, prefs: a_prefs }, Side { id: b_id, email: b.0, prefs: b_prefs })
}

pub async fn subscribe_and_confirm(app: &TestApp, email: &str, form: &str) -> i64 {
    assert_eq!(app.post_form("/subscribe", form.to_owned()).await.status(), 200);
    app.dispatch_all_pending_emails().await;
    let mail = app.smtp.received_by(email).pop().expect("a confirmation mail");
    let confirm = app.links_in(&mail, "/confirm/").pop().expect("a confirm link");
    assert_eq!(app.post_form(&confirm, "").await.status(), 200);
    app.dispatch_all_pending_emails().await;
    app.subscriber_id(email).await
}

/// Sends the side's next nudge and answers it; the nudge's answer link.
pub async fn answer_a_nudge(app: &TestApp, side: &Side, action: &str) -> String {
    app.travel_to_next_slot(side.id).await;
    app.plan().await;
    app.dispatch_all_pending_emails().await;
    let mails = app.smtp.received_by(side.email);
    let nudge = mails.iter().rev().find(|m| !app.links_in(m, "/n/").is_empty()).expect("a nudge");
    let link = app.links_in(nudge, "/n/").pop().expect("an answer link");
    let link = link.split('?').next().unwrap().to_owned();
    assert_eq!(app.post_form(&link, format!("action={action}")).await.status(), 200);
    link
}

/// Moves every answer given so far into the last whole week, as if the
/// week had ended since: the shared signal is about that week.
pub async fn let_the_week_end(app: &TestApp) {
    sqlx::query("update answers set answered_at = answered_at - interval '7 days'").execute(&app.pool).await.unwrap();
}

/// Runs the weekly job, makes what it queued due, and sends it.
pub async fn send_shared_signals(app: &TestApp) {
    app.planner.plan_shared_signals().await.expect("shared signal job");
    sqlx::query("update deliveries set due_at = now() where kind = 'shared_signal' and status = 'pending'")
        .execute(&app.pool)
        .await
        .unwrap();
    app.dispatch_all_pending_emails().await;
}

/// Links with both sides on them.
pub async fn pairs(app: &TestApp) -> i64 {
    app.count("select count(*) from (select link_id from partner_links group by link_id having count(*) = 2) l").await
}

/// Ends the link on the side whose preferences link this is.
pub async fn end_link(app: &TestApp, prefs: &str) {
    let page = app.post_form(prefs, "action=unlink").await.text().await.unwrap();
    assert!(page.contains("The link is ended on your side"));
}

/// The shared signal mails `address` received.
pub fn signals_to(app: &TestApp, address: &str) -> usize {
    app.smtp.received_by(address).iter().filter(|m| m.decoded().contains("You both showed up")).count()
}
