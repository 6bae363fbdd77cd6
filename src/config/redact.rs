//! Printing settings without their secrets: secret values become
//! `[redacted]`, URLs keep their scheme, host and path (they help debugging)
//! and lose their whole userinfo, query and fragment.

use secrecy::{ExposeSecret, SecretString};
use serde::Serializer;

pub(super) fn redact<S: Serializer>(secret: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(if secret.expose_secret().is_empty() { "" } else { "[redacted]" })
}

pub(super) fn redact_all<S: Serializer>(secrets: &[SecretString], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(secrets.iter().map(|_| "[redacted]"))
}

pub(super) fn redact_optional<S: Serializer>(secret: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
    match secret {
        Some(secret) => redact(secret, s),
        None => s.serialize_none(),
    }
}

pub(super) fn redact_url<S: Serializer>(url: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&redacted_url(url.expose_secret()))
}

/// `scheme://[redacted]@host:port/path`. Passwords are typed by people and
/// hold `/`, `@`, `:`, `?` or `#` unescaped, so the userinfo is everything
/// up to the *last* `@`: an `@` later in the path hides the host too, which
/// errs on the safe side. Query and fragment go (`?password=` exists).
pub fn redacted_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return if url.is_empty() { String::new() } else { "[redacted]".into() };
    };
    let (userinfo, after) = match rest.rfind('@') {
        Some(at) => ("[redacted]@", &rest[at + 1..]),
        None => ("", rest),
    };
    let location = after.split(['?', '#']).next().unwrap_or_default();
    let (host, path) = location.split_once('/').unwrap_or((location, ""));
    format!("{scheme}://{userinfo}{host}/{path}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_keep_their_shape_but_lose_their_userinfo() {
        assert_eq!(
            redacted_url("postgres://tend:s3cret@db:5432/tend?sslmode=require"),
            "postgres://[redacted]@db:5432/tend"
        );
        assert_eq!(redacted_url("smtp://127.0.0.1:2525"), "smtp://127.0.0.1:2525/");
        assert_eq!(redacted_url("garbage-with-secret"), "[redacted]");
        assert_eq!(redacted_url(""), "");
    }

    #[test]
    fn passwords_holding_url_punctuation_never_show() {
        for password in ["pa/ss", "p@ss", "a/b@c", "x?y#z", "://@/", "s3cret:"] {
            for url in [
                format!("postgres://tend:{password}@db:5432/tend"),
                format!("smtp://user:{password}@relay.example.org:587"),
                format!("postgres://db/tend?user=tend&password={password}"),
            ] {
                let printed = redacted_url(&url);
                assert!(!printed.contains(password), "{url} printed as {printed}");
                assert!(!printed.contains("tend:") && !printed.contains("user:"), "{printed}");
            }
        }
        assert_eq!(redacted_url("postgres://tend:pa/ss@db:5432/tend"), "postgres://[redacted]@db:5432/tend");
    }

    proptest::proptest! {
        #[test]
        fn no_password_survives_redaction(user in "[a-z]{1,8}", password in "[ -~]{4,24}", host in "[a-z]{1,10}") {
            let url = format!("postgres://{user}:{password}@{host}:5432/tend");
            // Whatever the password holds, the printed URL is the same.
            proptest::prop_assert_eq!(redacted_url(&url), format!("postgres://[redacted]@{host}:5432/tend"));
        }
    }
}
