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

mod duration;
mod inbound;
mod redact;
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
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct SenderSettings {
    /// The most rows claimed at once (and held queued).
    pub batch_size: i64,
    /// Sends on the wire at once: one worker per SMTP connection.
    pub concurrency: usize,
    /// The most accepted mails waiting to be recorded in one group commit.
    pub record_batch: usize,
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
        let settings: Settings = builder
            .build()
            .context("failed to read the configuration")?
            .try_deserialize()
            .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
        settings.check()?;
        Ok(settings)
    }

    /// Cross-field rules that serde cannot express. Each error names its key.
    pub fn check(&self) -> anyhow::Result<()> {
        let keys = &self.security.link_keys;
        anyhow::ensure!(!keys.is_empty(), "security.link_keys: at least one key is required");
        if self.environment == Deployment::Production {
            anyhow::ensure!(
                keys.iter().all(|k| k.expose_secret() != DEVELOPMENT_LINK_KEY),
                "security.link_keys: the development key is refused in production; set TEND__SECURITY__LINK_KEYS"
            );
            anyhow::ensure!(
                keys.iter().all(|k| k.expose_secret().len() >= 32),
                "security.link_keys: every key must be at least 32 bytes in production"
            );
        }
        let promise_keys = self.security.promise_keys()?;
        crate::sealing::Sealer::new(&promise_keys)?;
        if self.environment == Deployment::Production {
            anyhow::ensure!(
                promise_keys.iter().all(|k| k.expose_secret() != DEVELOPMENT_PROMISE_KEY),
                "security.promise_keys: the development key is refused in production; set TEND__SECURITY__PROMISE_KEYS"
            );
        }
        anyhow::ensure!(
            self.promises.check_before.as_chrono() >= chrono::Duration::hours(1)
                && self.promises.check_before.as_chrono() <= chrono::Duration::days(7),
            "promises.check_before: must be between 1h and 7d"
        );
        let url = self.http.public_url.trim_end_matches('/');
        anyhow::ensure!(
            (url.starts_with("http://") || url.starts_with("https://")) && !url.contains(['\r', '\n', ' ', '?', '#']),
            "http.public_url: {:?} must be an http:// or https:// URL without query or fragment",
            self.http.public_url
        );
        if self.mail.transport == MailTransportKind::Smtp {
            anyhow::ensure!(
                !self.mail.smtp_url.expose_secret().is_empty(),
                "mail.smtp_url: required when mail.transport = \"smtp\""
            );
        }
        // Reads and parses mail.ca_file: a missing or unusable file stops start-up.
        crate::mail::smtp::TlsTrust::load(&self.mail.ca_file, &self.mail.tls_server_name)?;
        anyhow::ensure!(
            self.mail.timeout.0 < self.sender.lease.0,
            "mail.timeout ({}) must be shorter than sender.lease ({}) so that a slow send can never outlive its claim",
            self.mail.timeout,
            self.sender.lease
        );
        self.content.check()?;
        self.inbound.check(&self.mail.from)?;
        anyhow::ensure!((1..=5).contains(&self.schedule.max_per_day), "schedule.max_per_day: must be between 1 and 5");
        anyhow::ensure!(self.sender.batch_size > 0, "sender.batch_size: must be positive");
        anyhow::ensure!(self.sender.concurrency > 0, "sender.concurrency: must be positive");
        anyhow::ensure!(self.sender.record_batch > 0, "sender.record_batch: must be positive");
        anyhow::ensure!(self.schedule.plan_batch > 0, "schedule.plan_batch: must be positive");
        anyhow::ensure!(self.http.max_body_bytes >= 1024, "http.max_body_bytes: must be at least 1024");
        anyhow::ensure!(
            self.http.subscribe_per_client_per_minute > 0,
            "http.subscribe_per_client_per_minute: must be positive"
        );
        anyhow::ensure!(
            self.http.link_requests_per_client_per_minute > 0,
            "http.link_requests_per_client_per_minute: must be positive"
        );
        Ok(())
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
