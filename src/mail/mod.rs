//! Mail: the nudge catalog, composing messages, and the transport they leave by.

pub mod catalog;
pub mod compose;
pub mod smtp;
pub mod transport;

pub use catalog::{Catalog, Nudge};
pub use compose::{Composer, OutgoingEmail};
pub use transport::{Mailer, SendOutcome};
