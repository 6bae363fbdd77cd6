//! Mail: the catalog and its content lint, composing messages (pure: a
//! `domain::mail::MailContext` in, an [`OutgoingEmail`] out), and the
//! transport they leave by.

pub mod catalog;
pub mod compose;
pub mod dkim;
mod headers;
pub mod lint;
pub mod notes;
pub mod outbox;
pub mod smtp;
pub mod transport;

pub use catalog::{Catalog, Nudge};
pub use compose::{Composer, OutgoingEmail};
pub use smtp::{Opened, Then};
pub use transport::{Mailer, Prepared, SendOutcome};
