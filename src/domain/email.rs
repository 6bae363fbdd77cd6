//! `SubscriberEmail`: an address we are willing to put in an envelope.
//!
//! Parsing is deliberately conservative. tend only ever needs to deliver to
//! ordinary mailboxes, so anything that could smuggle a header (CR, LF, NUL or
//! other control characters), quoted local parts, comments or IP-literal
//! domains is refused up front instead of being escaped later.

use std::fmt;

/// The longest address RFC 5321 allows in a `MAIL FROM`/`RCPT TO` path.
const MAX_LEN: usize = 254;
const MAX_LOCAL_LEN: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SubscriberEmail(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("please enter your email address")]
    Empty,
    #[error("that email address is too long")]
    TooLong,
    #[error("that does not look like an email address")]
    Malformed,
}

impl SubscriberEmail {
    /// Accepts `local@domain.tld` with a dot-atom local part and an ASCII or
    /// IDNA-ready domain. Surrounding white space is trimmed; case is kept
    /// because the local part is, strictly, case-sensitive.
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let email = input.trim();
        if email.is_empty() {
            return Err(EmailError::Empty);
        }
        if email.len() > MAX_LEN {
            return Err(EmailError::TooLong);
        }
        let (local, domain) = email.rsplit_once('@').ok_or(EmailError::Malformed)?;
        if !is_valid_local_part(local) || !is_valid_domain(domain) {
            return Err(EmailError::Malformed);
        }
        Ok(Self(email.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_valid_local_part(local: &str) -> bool {
    const SPECIALS: &str = "!#$%&'*+-/=?^_`{|}~.";
    !local.is_empty()
        && local.len() <= MAX_LOCAL_LEN
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || SPECIALS.contains(c) || (!c.is_ascii() && !c.is_control()))
}

fn is_valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && domain.len() <= 253
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || (!c.is_ascii() && c.is_alphanumeric()))
        })
}

impl AsRef<str> for SubscriberEmail {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SubscriberEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_addresses_are_accepted() {
        for ok in ["a@b.co", "first.last+tag@example.org", "  x@sub.example.com ", "o'neil@example.ie"] {
            assert!(SubscriberEmail::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(SubscriberEmail::parse(" a@b.co ").unwrap().as_str(), "a@b.co");
    }

    #[test]
    fn malformed_addresses_are_rejected() {
        for bad in [
            "plainaddress",
            "@example.com",
            "a@",
            "a@localhost",
            "a@@b.co",
            "a b@c.de",
            ".a@b.co",
            "a..b@c.de",
            "a@-b.co",
            "a@b..co",
            "a\r\nBcc: x@y.z@b.co",
            "a\n@b.co",
            "a\0@b.co",
            "\"quoted\"@b.co",
            "a@[127.0.0.1]",
            "a@b.co>",
        ] {
            assert_eq!(SubscriberEmail::parse(bad), Err(EmailError::Malformed), "{bad:?}");
        }
    }

    #[test]
    fn empty_and_oversized_addresses_name_their_problem() {
        assert_eq!(SubscriberEmail::parse("   "), Err(EmailError::Empty));
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(SubscriberEmail::parse(&long), Err(EmailError::TooLong));
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert_eq!(SubscriberEmail::parse(&long_local), Err(EmailError::Malformed));
    }
}
