//! Which inbox an address reaches, and how many confirmation mails that
//! inbox may be sent.
//!
//! `A.B+news@Gmail.com`, `ab+2@googlemail.com` and `ab@gmail.com` are three
//! addresses and one inbox. The cap on confirmation mails is per inbox, so
//! that nobody can flood a stranger through aliases: the key lower-cases the
//! address, drops a `+tag`, and for Gmail (gmail.com and googlemail.com,
//! which deliver to the same inboxes and ignore dots) drops the dots of the
//! local part and names the domain gmail.com.

use chrono::{DateTime, Duration, Utc};

use super::SubscriberEmail;

/// The normalised inbox an address reaches.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MailboxKey(String);

impl MailboxKey {
    pub fn of(email: &SubscriberEmail) -> Self {
        let lower = email.as_str().to_lowercase();
        let (local, domain) = lower.rsplit_once('@').unwrap_or((lower.as_str(), ""));
        // `+tag` goes, unless nothing would be left of the local part.
        let local = match local.split_once('+') {
            Some((base, _)) if !base.is_empty() => base,
            _ => local,
        };
        match domain {
            "gmail.com" | "googlemail.com" => Self(format!("{}@gmail.com", local.replace('.', ""))),
            _ => Self(format!("{local}@{domain}")),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How many confirmation mails one inbox may have been sent since when,
/// for one more to go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfirmationCap {
    pub mails: i64,
    pub since: DateTime<Utc>,
}

impl ConfirmationCap {
    /// Three a day for a new or pending address. An inbox whose owner
    /// unsubscribed (from any of its addresses, last at `unsubscribed_at`)
    /// said stop: one a week, counted from the unsubscribe at the earliest,
    /// so coming back right after leaving still gets its one mail.
    pub fn at(now: DateTime<Utc>, unsubscribed_at: Option<DateTime<Utc>>) -> Self {
        match unsubscribed_at {
            None => Self { mails: 3, since: now - Duration::days(1) },
            Some(at) => Self { mails: 1, since: (now - Duration::days(7)).max(at) },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(address: &str) -> String {
        MailboxKey::of(&SubscriberEmail::parse(address).unwrap()).as_str().to_owned()
    }

    #[test]
    fn aliases_of_one_gmail_inbox_share_a_key() {
        for alias in
            ["ab@gmail.com", "a.b@gmail.com", "A.B+news@Gmail.com", "a.b.+x.y@googlemail.com", "AB+1+2@GMAIL.COM"]
        {
            assert_eq!(key(alias), "ab@gmail.com", "{alias}");
        }
    }

    #[test]
    fn elsewhere_dots_matter_but_tags_and_case_do_not() {
        assert_eq!(key("First.Last+tend@Example.org"), "first.last@example.org");
        assert_ne!(key("first.last@example.org"), key("firstlast@example.org"));
        assert_eq!(key("+only-a-tag@example.org"), "+only-a-tag@example.org");
        assert_ne!(key("ab@gmail.com.example.org"), "ab@gmail.com");
    }

    #[test]
    fn an_inbox_that_said_stop_gets_one_mail_a_week_counted_from_the_unsubscribe() {
        let now = DateTime::parse_from_rfc3339("2026-05-10T12:00:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(ConfirmationCap::at(now, None), ConfirmationCap { mails: 3, since: now - Duration::days(1) });
        let long_ago = now - Duration::days(30);
        assert_eq!(ConfirmationCap::at(now, Some(long_ago)).since, now - Duration::days(7));
        let this_morning = now - Duration::hours(3);
        assert_eq!(ConfirmationCap::at(now, Some(this_morning)), ConfirmationCap { mails: 1, since: this_morning });
    }
}
