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

/// What stands in for an address in text tend keeps or logs.
pub const REDACTED_ADDRESS: &str = "[address]";

/// `text` with every email address in it replaced by [`REDACTED_ADDRESS`].
///
/// Relays echo addresses in their replies (`550 5.1.1 <a@b.example>:
/// Recipient address rejected`), and those replies are logged and kept on
/// the delivery row. An address here is any run of characters around an
/// `@` that are not white space, brackets, quotes or the separators relays
/// put around addresses, with something on both sides: generous on
/// purpose, since a false positive costs one word of a log line.
pub fn redact_addresses(text: &str) -> String {
    const AROUND: &[char] = &['<', '>', '(', ')', '[', ']', '"', ',', ';', ':', '\''];
    let part_of_address = |c: char| !c.is_whitespace() && !c.is_control() && !AROUND.contains(&c);
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('@') {
        let start = rest[..at]
            .rfind(|c: char| !part_of_address(c))
            .map_or(0, |i| i + rest[i..].chars().next().map_or(1, char::len_utf8));
        let end = rest[at + 1..].find(|c: char| !part_of_address(c)).map_or(rest.len(), |i| at + 1 + i);
        if start < at && at + 1 < end {
            out.push_str(&rest[..start]);
            out.push_str(REDACTED_ADDRESS);
        } else {
            out.push_str(&rest[..end.max(at + 1)]);
        }
        rest = &rest[end.max(at + 1)..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_in_relay_replies_are_redacted_and_the_rest_is_kept() {
        let cases = [
            (
                "550 5.1.1 <gone@example.org>: Recipient address rejected",
                "550 5.1.1 <[address]>: Recipient address rejected",
            ),
            ("250 2.0.0 Ok: queued as 4F3A for a.b+c@sub.example.com", "250 2.0.0 Ok: queued as 4F3A for [address]"),
            ("451 4.2.0 (x@y.z) and ünï@exämple.de, later", "451 4.2.0 ([address]) and [address], later"),
            ("no address @ here, nor here@", "no address @ here, nor here@"),
            ("@@ a@@b", "@@ [address]"),
            ("", ""),
        ];
        for (reply, redacted) in cases {
            assert_eq!(redact_addresses(reply), redacted, "{reply}");
        }
    }

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
