//! The headers tend adds to every message beyond lettre's own: list
//! headers (RFC 2369, 2919, 8058), `Auto-Submitted` (RFC 3834) and
//! `Content-Language` (RFC 3282). Each is a plain value with a fixed name.

use lettre::message::header::{Header, HeaderName, HeaderValue};

macro_rules! simple_header {
    ($ty:ident, $name:literal, $value:expr) => {
        impl Header for $ty {
            fn name() -> HeaderName {
                HeaderName::new_from_ascii_str($name)
            }

            fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
                let construct: fn(&str) -> Self = $value;
                Ok(construct(s))
            }

            fn display(&self) -> HeaderValue {
                HeaderValue::new(Self::name(), self.value())
            }
        }
    };
}

/// `List-Unsubscribe: <https://…/unsubscribe/TOKEN>` (RFC 2369).
#[derive(Clone)]
pub(super) struct ListUnsubscribe(pub(super) String);
/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
#[derive(Clone)]
pub(super) struct ListUnsubscribePost;
/// `List-Id` (RFC 2919).
#[derive(Clone)]
pub(super) struct ListId(pub(super) String);
/// `Auto-Submitted: auto-generated` (RFC 3834): no auto-replies, please.
#[derive(Clone)]
pub(super) struct AutoSubmitted;
/// `Content-Language: de` (RFC 3282): the language the mail is written in.
#[derive(Clone)]
pub(super) struct ContentLanguage(pub(super) String);

impl ListUnsubscribe {
    fn value(&self) -> String {
        self.0.clone()
    }
}
impl ListUnsubscribePost {
    fn value(&self) -> String {
        "List-Unsubscribe=One-Click".into()
    }
}
impl ListId {
    fn value(&self) -> String {
        self.0.clone()
    }
}
impl AutoSubmitted {
    fn value(&self) -> String {
        "auto-generated".into()
    }
}
impl ContentLanguage {
    fn value(&self) -> String {
        self.0.clone()
    }
}

simple_header!(ListUnsubscribe, "List-Unsubscribe", |s| ListUnsubscribe(s.to_owned()));
simple_header!(ListUnsubscribePost, "List-Unsubscribe-Post", |_| { ListUnsubscribePost });
simple_header!(ListId, "List-Id", |s| ListId(s.to_owned()));
simple_header!(AutoSubmitted, "Auto-Submitted", |_| AutoSubmitted);
simple_header!(ContentLanguage, "Content-Language", |s| ContentLanguage(s.to_owned()));
