//! Subscriptions: the state changes a subscriber (or an operator) can cause.
//!
//! Each public function takes parsed domain values (input is parsed by the
//! HTTP handler or CLI command that calls it) and writes every consequence in
//! one transaction, opened and committed here: a status change and the email
//! it causes, a promise and its two mails. Answers are the exception in shape,
//! not in rule: [`Answers`] gathers concurrent answers and writes a batch of
//! them, with the rescheduling each causes, in one fenced statement. HTTP
//! handlers and CLI commands call these for every change and never write SQL
//! themselves. Instants come from the database clock (`select now()`), the
//! same clock the sender's claims use.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use crate::domain::{Scheduling, SubscriberStatus};
use crate::store::{self, subscribers::Subscriber};

mod answer;
mod confirm;
mod expiry;
mod forget;
pub mod inbound;
mod links;
mod partners;
mod preferences;
pub mod promises;
mod reseal;
mod subscribe;
mod unsubscribe;

pub use answer::{AnswerOutcome, Answered, Answers, Asked, Refused, answer_all};
pub use confirm::{ConfirmOutcome, confirm};
pub use expiry::expire_unconfirmed;
pub use forget::{Erasure, ErasureRequester, forget};
pub use links::{FRESH_LINKS_PER_DAY, FreshLink, request_fresh_link, request_fresh_link_for, sign_out_links};
pub use partners::{INVITATION_EVERY, InvitationRequest, InviteOutcome, invite, set_shared_signal, unlink};
pub use preferences::{PreferencesChange, pause, resume, set_weekly_summary, update_preferences};
pub use reseal::{ResealBatch, reseal_batch};
pub use subscribe::{SubscribeOutcome, SubscribeRequest, subscribe};
pub use unsubscribe::unsubscribe;

/// The database clock, read inside the caller's transaction.
async fn db_now(conn: &mut PgConnection) -> anyhow::Result<DateTime<Utc>> {
    store::now(conn).await
}

/// Makes a subscription active and gives each enabled track its first slot:
/// today at the preferred time if that is still ahead, otherwise tomorrow.
async fn activate(conn: &mut PgConnection, subscriber: &Subscriber, scheduling: Scheduling) -> anyhow::Result<()> {
    let now = db_now(conn).await?;
    store::subscribers::set_status(conn, subscriber.id, SubscriberStatus::Active).await?;
    let first_slot = subscriber.slots(&scheduling).first_after(now);
    store::tracks::schedule_unscheduled(conn, subscriber.id, first_slot).await
}
