//! `mail.smtp_url`: `smtp://[user:pass@]host[:port][?tls=none|opportunistic|required]`
//! or `smtps://[user:pass@]host[:port]` (implicit TLS).

use lettre::transport::smtp::authentication::Credentials;

/// How the session is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    Plain,
    /// Upgrade with STARTTLS when offered; `required` refuses a relay that does not offer it.
    StartTls {
        required: bool,
    },
    /// `smtps://`: TLS from the first byte.
    Implicit,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpTarget {
    pub host: String,
    pub port: u16,
    pub security: Security,
}

/// `starttls` is the configured policy for `smtp://` (`None` = no STARTTLS);
/// a `tls=` in the URL wins over it.
pub fn parse(url: &str, starttls: Option<bool>) -> anyhow::Result<(SmtpTarget, Option<Credentials>)> {
    let (scheme, rest) = url.split_once("://").ok_or_else(|| anyhow::anyhow!("no scheme"))?;
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let authority = rest.trim_end_matches('/');
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((userinfo, hostport)) => (Some(userinfo), hostport),
        None => (None, authority),
    };
    let mut security = match scheme {
        "smtp" => match starttls {
            None => Security::Plain,
            Some(required) => Security::StartTls { required },
        },
        "smtps" => Security::Implicit,
        other => anyhow::bail!("unsupported scheme {other:?}"),
    };
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        if key == "tls" && security != Security::Implicit {
            security = match value.as_ref() {
                "none" => Security::Plain,
                "opportunistic" => Security::StartTls { required: false },
                "required" => Security::StartTls { required: true },
                other => anyhow::bail!("tls={other:?} is not none, opportunistic or required"),
            };
        }
    }
    let default_port = if security == Security::Implicit { 465 } else { 25 };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || hostport.starts_with('[') => {
            (host, port.parse().map_err(|_| anyhow::anyhow!("port {port:?} is not a number"))?)
        }
        _ => (hostport, default_port),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    anyhow::ensure!(!host.is_empty(), "no host");
    let credentials = userinfo.map(|userinfo| {
        let (user, pass) = userinfo.split_once(':').unwrap_or((userinfo, ""));
        Credentials::new(decode(user), decode(pass))
    });
    Ok((SmtpTarget { host: host.to_owned(), port, security }, credentials))
}

fn decode(text: &str) -> String {
    form_urlencoded::parse(format!("x={text}").as_bytes()).next().map(|(_, v)| v.into_owned()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_host_port_and_protection() {
        let (t, c) = parse("smtp://127.0.0.1:2525", None).unwrap();
        assert_eq!(t, SmtpTarget { host: "127.0.0.1".into(), port: 2525, security: Security::Plain });
        assert!(c.is_none());
        let (t, _) = parse("smtp://relay.example.org:587", Some(true)).unwrap();
        assert_eq!(t.security, Security::StartTls { required: true });
        let (t, _) = parse("smtp://relay.example.org?tls=none", Some(true)).unwrap();
        assert_eq!((t.port, t.security), (25, Security::Plain));
        let (t, c) = parse("smtps://u%40x:p%3Aw@relay.example.org", None).unwrap();
        assert_eq!((t.port, t.security), (465, Security::Implicit));
        assert!(c.is_some());
        assert!(parse("http://x", None).is_err());
        assert!(parse("smtp://host:port", None).is_err());
    }
}
