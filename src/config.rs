//! Settings: layered configuration, parsed once at start-up.
//!
//! Layers, later ones win: `config/default.toml` (compiled in, so the binary
//! runs from any directory), then the file named by `--config` or
//! `TEND_CONFIG`, then `TEND__SECTION__KEY` environment variables, then
//! `DATABASE_URL`. Environment goes last so that a secret injected by the
//! service manager always beats a file. Secrets are `SecretString`s and are
//! redacted whenever settings are printed.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use config::{Config, Environment, File, FileFormat};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

mod addr;
mod check;
mod duration;
mod inbound;
mod redact;
pub use addr::OptionalAddr;
pub use duration::Duration;
pub use inbound::{InboundAddresses, InboundSettings};
pub use redact::redacted_url;
use redact::{redact, redact_all, redact_optional, redact_url};

const DEFAULTS: &str = include_str!("../config/default.toml");
/// The promise key `config/default.toml` ships with; refused in production.
pub const DEVELOPMENT_PROMISE_KEY: &str = "ZGV2ZWxvcG1lbnQtb25seS1wcm9taXNlLWtleS0wMDA=";
/// The key `config/default.toml` ships with. Fine for trying tend out, refused in production.
pub const DEVELOPMENT_LINK_KEY: &str = "development-only-link-key-change-me-in-production";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Deployment {
    Local,
    Production,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Settings {
    pub environment: Deployment,
    pub database: DatabaseSettings,
    pub http: HttpSettings,
    pub mail: MailSettings,
    pub schedule: ScheduleSettings,
    pub sender: SenderSettings,
    pub security: SecuritySettings,
    pub catalog: CatalogSettings,
    pub content: ContentSettings,
    pub promises: PromiseSettings,
    pub subscribe: SubscribeSettings,
    pub metrics: MetricsSettings,
    pub inbound: InboundSettings,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct DatabaseSettings {
    #[serde(serialize_with = "redact_url")]
    pub url: SecretString,
    pub max_connections: u32,
    pub connect_timeout: Duration,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct HttpSettings {
    pub bind: SocketAddr,
    /// The base of every link in emails. The request's `Host` header is never used.
    pub public_url: String,
    pub max_body_bytes: usize,
    /// Subscribe requests one client address may make per minute.
    pub subscribe_per_client_per_minute: u32,
    /// "Mail me a fresh link" requests one client address may make per minute.
    pub link_requests_per_client_per_minute: u32,
    /// A header set by a trusted reverse proxy that carries the client
    /// address (for example `x-real-ip`); empty: use the peer address.
    pub client_ip_header: String,
    /// Clients (IPv4 /32, IPv6 /64) the per-client limit tracks at once: a
    /// table of fixed size, allocated at start.
    pub rate_limit_clients: usize,
    /// A client must send a request's headers within this (and an idle
    /// keep-alive connection closes after it).
    pub header_timeout: Duration,
    /// A request's body must arrive within this once its headers have (408).
    pub body_timeout: Duration,
    /// Connections served at once; more wait in the kernel's listen queue.
    pub max_connections: usize,
}

/// Subscribing and the double opt-in.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct SubscribeSettings {
    /// An address that never confirmed is deleted this long after its last
    /// subscribe request, with the mail sent to it.
    pub pending_ttl: Duration,
}

/// The Prometheus endpoint, on a listener of its own.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct MetricsSettings {
    /// Where `GET /metrics` is served; empty: nowhere. Never on `http.bind`.
    pub bind: OptionalAddr,
    /// When set, a scrape must send `Authorization: Bearer <token>`.
    #[serde(serialize_with = "redact")]
    pub token: SecretString,
    /// How often the gauges read from the database are refreshed.
    pub refresh: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MailTransportKind {
    File,
    Smtp,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct MailSettings {
    pub transport: MailTransportKind,
    pub outbox_dir: PathBuf,
    #[serde(serialize_with = "redact_url")]
    pub smtp_url: SecretString,
    pub smtp_username: String,
    #[serde(serialize_with = "redact")]
    pub smtp_password: SecretString,
    /// `none`, `opportunistic` or `required`; `smtps://` URLs always use implicit TLS.
    pub starttls: StartTls,
    /// A PEM file of CA certificates trusted for the relay connection, on
    /// top of the built-in roots (a relay with a private CA); empty: none.
    pub ca_file: PathBuf,
    /// The name the relay's certificate must carry, instead of the host of
    /// `smtp_url` (which may be an IP address); empty: that host.
    pub tls_server_name: String,
    pub timeout: Duration,
    pub pool_size: u32,
    pub from: String,
    pub list_id: String,
    /// DKIM selector; empty leaves mail unsigned.
    pub dkim_selector: String,
    /// The signing domain; empty means the From address's domain.
    pub dkim_domain: String,
    /// `rsa` (PKCS#1 PEM key file) or `ed25519` (base64 of the 32-byte seed).
    pub dkim_algorithm: String,
    /// The private key file; read at start-up, never printed.
    pub dkim_key_file: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StartTls {
    None,
    Opportunistic,
    Required,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ScheduleSettings {
    pub jitter: Duration,
    pub max_per_day: u32,
    pub stale_after: Duration,
    pub plan_batch: i64,
    /// Id ranges planned side by side, one database connection each.
    pub plan_workers: usize,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct SenderSettings {
    /// The most rows claimed at once (and held queued).
    pub batch_size: i64,
    /// Sends on the wire at once: one worker per SMTP connection.
    pub concurrency: usize,
    /// The most accepted mails waiting to be recorded in one group commit.
    pub record_batch: usize,
    /// How long a group commit waits for more accepted mails.
    pub record_wait: Duration,
    pub lease: Duration,
    pub poll_interval: Duration,
    pub max_attempts: i32,
    pub retry_base: Duration,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct SecuritySettings {
    #[serde(serialize_with = "redact_all")]
    pub link_keys: Vec<SecretString>,
    /// Seal promise texts at rest: 32 bytes in base64 each, never a link
    /// key. The first seals, all of them open.
    #[serde(default, serialize_with = "redact_all")]
    pub promise_keys: Vec<SecretString>,
    /// The single key of earlier versions, still accepted: it stands for
    /// `promise_keys = [promise_key]` (see [`SecuritySettings::promise_keys`]).
    #[serde(default, serialize_with = "redact_optional", skip_serializing_if = "Option::is_none")]
    pub promise_key: Option<SecretString>,
}

impl SecuritySettings {
    /// The promise keys in force. `promise_key` (earlier versions' setting)
    /// replaces the built-in development list; beside a list of its own it
    /// must be in that list, or promises it sealed would no longer open.
    pub fn promise_keys(&self) -> anyhow::Result<Vec<SecretString>> {
        let Some(single) = &self.promise_key else {
            return Ok(self.promise_keys.clone());
        };
        let listed = |key: &SecretString| key.expose_secret() == single.expose_secret();
        let built_in = self.promise_keys.iter().all(|k| k.expose_secret() == DEVELOPMENT_PROMISE_KEY);
        if built_in {
            return Ok(vec![single.clone()]);
        }
        anyhow::ensure!(
            self.promise_keys.iter().any(listed),
            "security.promise_key is set beside security.promise_keys, which lacks it: list every key in \
             security.promise_keys (the first seals, all open) and remove security.promise_key"
        );
        Ok(self.promise_keys.clone())
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct PromiseSettings {
    /// How long before a promise is due tend asks "still realistic?".
    pub check_before: Duration,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct CatalogSettings {
    /// An operator's catalog file; empty means the built-in one.
    pub path: String,
}

/// The operator's words for their country, shown in mails and on pages.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ContentSettings {
    /// Where to find professional help, e.g. a counsellor directory. Shown in
    /// `support` nudges and every mail footer; empty shows a neutral text.
    pub resources: String,
    /// The local help line for people who feel afraid or controlled in their
    /// relationship. Shown in every mail footer and on the preferences page;
    /// empty shows a neutral text.
    pub safety_line: String,
}

/// The longest resources or safety line, in characters.
pub const MAX_CONTENT_LINE_CHARS: usize = 300;

impl ContentSettings {
    /// One line each, no control characters (they end up in mails), not too long.
    pub fn check(&self) -> anyhow::Result<()> {
        for (key, value) in [("content.resources", &self.resources), ("content.safety_line", &self.safety_line)] {
            anyhow::ensure!(
                !value.chars().any(char::is_control),
                "{key}: must be one line, without line breaks or control characters"
            );
            anyhow::ensure!(
                value.chars().count() <= MAX_CONTENT_LINE_CHARS,
                "{key}: at most {MAX_CONTENT_LINE_CHARS} characters"
            );
        }
        Ok(())
    }
}

impl Settings {
    /// Reads every layer. `file` is `--config` (or `TEND_CONFIG`).
    pub fn load(file: Option<&std::path::Path>) -> anyhow::Result<Self> {
        let mut builder = Config::builder().add_source(File::from_str(DEFAULTS, FileFormat::Toml));
        if let Some(path) = file {
            anyhow::ensure!(path.exists(), "configuration file {} does not exist", path.display());
            builder = builder.add_source(File::from(path.to_path_buf()));
        }
        builder = builder.add_source(
            Environment::with_prefix("TEND")
                .prefix_separator("__")
                .separator("__")
                .list_separator(",")
                .with_list_parse_key("security.link_keys")
                .with_list_parse_key("security.promise_keys")
                .try_parsing(true),
        );
        if let Ok(url) = std::env::var("DATABASE_URL") {
            builder = builder.set_override("database.url", url)?;
        }
        let mut settings: Settings = builder
            .build()
            .context("failed to read the configuration")?
            .try_deserialize()
            .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
        settings.trim_keys();
        settings.check()?;
        Ok(settings)
    }

    /// Keys pasted from a file or a terminal often carry a line break. They
    /// are trimmed here, once, so the production checks compare exactly the
    /// bytes that sign links and seal promises.
    fn trim_keys(&mut self) {
        let trim = |key: &SecretString| SecretString::from(key.expose_secret().trim().to_owned());
        self.security.link_keys = self.security.link_keys.iter().map(trim).collect();
        self.security.promise_keys = self.security.promise_keys.iter().map(trim).collect();
        self.security.promise_key = self.security.promise_key.as_ref().map(trim);
        self.metrics.token = trim(&self.metrics.token);
    }

    pub fn is_local(&self) -> bool {
        self.environment == Deployment::Local
    }

    pub fn public_url(&self) -> &str {
        self.http.public_url.trim_end_matches('/')
    }

    /// The effective configuration as TOML, secrets redacted (`tend check-config`).
    pub fn redacted_toml(&self) -> anyhow::Result<String> {
        toml::to_string_pretty(self).context("failed to print the configuration")
    }
}

#[cfg(test)]
mod tests;
