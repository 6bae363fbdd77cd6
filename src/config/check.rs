//! The rules serde cannot express, checked once the layers are merged. Each
//! error names its key, so `tend check-config` (exit 2) says what to fix.

use secrecy::ExposeSecret;

use super::{DEVELOPMENT_LINK_KEY, DEVELOPMENT_PROMISE_KEY, Deployment, MailTransportKind, Settings};

impl Settings {
    pub fn check(&self) -> anyhow::Result<()> {
        self.check_environment()?;
        self.check_keys()?;
        self.check_http()?;
        self.check_mail()?;
        self.content.check()?;
        self.inbound.check(&self.mail.from)?;
        self.check_limits()
    }

    /// `local` serves `/outbox` and accepts the published development keys:
    /// fine on a laptop, never on an address others can reach.
    fn check_environment(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            !self.is_local() || self.http.bind.ip().is_loopback(),
            "environment = \"local\" (the default) only listens on a loopback address, but http.bind is {}: \
             set environment = \"production\" (TEND__ENVIRONMENT=production) with keys of your own, or bind \
             http.bind to 127.0.0.1",
            self.http.bind
        );
        Ok(())
    }

    /// Keys were trimmed when the settings loaded, so what is compared here
    /// is what signs and seals.
    fn check_keys(&self) -> anyhow::Result<()> {
        let keys = &self.security.link_keys;
        anyhow::ensure!(!keys.is_empty(), "security.link_keys: at least one key is required");
        let promise_keys = self.security.promise_keys()?;
        crate::sealing::Sealer::new(&promise_keys)?;
        if self.environment == Deployment::Production {
            anyhow::ensure!(
                keys.iter().all(|k| k.expose_secret() != DEVELOPMENT_LINK_KEY),
                "security.link_keys: the development key is refused in production; set TEND__SECURITY__LINK_KEYS"
            );
            anyhow::ensure!(
                keys.iter().all(|k| k.expose_secret().len() >= 32),
                "security.link_keys: every key must be at least 32 bytes in production"
            );
            anyhow::ensure!(
                promise_keys.iter().all(|k| k.expose_secret() != DEVELOPMENT_PROMISE_KEY),
                "security.promise_keys: the development key is refused in production; set TEND__SECURITY__PROMISE_KEYS"
            );
        }
        Ok(())
    }

    fn check_http(&self) -> anyhow::Result<()> {
        let url = self.http.public_url.trim_end_matches('/');
        anyhow::ensure!(
            (url.starts_with("http://") || url.starts_with("https://"))
                && !url.contains(['\r', '\n', ' ', '?', '#', '@']),
            "http.public_url: {:?} must be an http:// or https:// URL without user, query or fragment",
            self.http.public_url
        );
        // Its origin is what the subscribe form's cross-site check compares with.
        anyhow::ensure!(
            url::Url::parse(url).is_ok_and(|u| u.host().is_some()),
            "http.public_url: {:?} does not parse as a URL with a host",
            self.http.public_url
        );
        anyhow::ensure!(self.http.max_body_bytes >= 1024, "http.max_body_bytes: must be at least 1024");
        for (key, value) in
            [("http.header_timeout", self.http.header_timeout), ("http.body_timeout", self.http.body_timeout)]
        {
            let seconds = value.as_std().as_secs_f64();
            anyhow::ensure!((1.0..=300.0).contains(&seconds), "{key}: must be between 1s and 5m");
        }
        anyhow::ensure!(self.http.max_connections > 0, "http.max_connections: must be positive");
        anyhow::ensure!(
            self.http.subscribe_per_client_per_minute > 0,
            "http.subscribe_per_client_per_minute: must be positive"
        );
        anyhow::ensure!(
            self.http.link_requests_per_client_per_minute > 0,
            "http.link_requests_per_client_per_minute: must be positive"
        );
        anyhow::ensure!(self.http.rate_limit_clients >= 1024, "http.rate_limit_clients: must be at least 1024");
        anyhow::ensure!(self.metrics.refresh.as_std().as_secs() >= 1, "metrics.refresh: must be at least 1s");
        Ok(())
    }

    fn check_mail(&self) -> anyhow::Result<()> {
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
        Ok(())
    }

    fn check_limits(&self) -> anyhow::Result<()> {
        let check_before = self.promises.check_before.as_chrono();
        anyhow::ensure!(
            check_before >= chrono::Duration::hours(1) && check_before <= chrono::Duration::days(7),
            "promises.check_before: must be between 1h and 7d"
        );
        let ttl = self.subscribe.pending_ttl.as_chrono();
        anyhow::ensure!(
            ttl >= chrono::Duration::hours(1) && ttl <= chrono::Duration::days(365),
            "subscribe.pending_ttl: must be between 1h and 365d"
        );
        anyhow::ensure!((1..=5).contains(&self.schedule.max_per_day), "schedule.max_per_day: must be between 1 and 5");
        anyhow::ensure!(self.sender.batch_size > 0, "sender.batch_size: must be positive");
        anyhow::ensure!(self.sender.concurrency > 0, "sender.concurrency: must be positive");
        anyhow::ensure!(self.sender.record_batch > 0, "sender.record_batch: must be positive");
        anyhow::ensure!(
            self.sender.record_wait.as_std() <= std::time::Duration::from_secs(1),
            "sender.record_wait: must be at most 1s (it is {}); accepted mail waits that long to be recorded",
            self.sender.record_wait
        );
        anyhow::ensure!(self.schedule.plan_batch > 0, "schedule.plan_batch: must be positive");
        let connections = self.database.max_connections as usize;
        anyhow::ensure!(
            (1..=connections).contains(&self.schedule.plan_workers),
            "schedule.plan_workers: must be between 1 and database.max_connections ({connections}), each worker holds a connection"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::*;

    #[test]
    fn local_refuses_an_address_others_can_reach_naming_both_keys() {
        let mut settings = Settings::load(None).unwrap();
        settings.http.bind = "0.0.0.0:8080".parse().unwrap();
        let err = settings.check().unwrap_err().to_string();
        assert!(err.contains("environment") && err.contains("http.bind"), "{err}");
        settings.http.bind = "[::1]:8080".parse().unwrap();
        settings.check().unwrap();
    }

    #[test]
    fn a_public_url_with_userinfo_is_refused() {
        let mut settings = Settings::load(None).unwrap();
        settings.http.public_url = "https://user:pw@tend.example.org".into();
        assert!(settings.check().unwrap_err().to_string().starts_with("http.public_url"));
    }

    #[test]
    fn plan_workers_must_fit_the_database_pool() {
        let mut settings = Settings::load(None).unwrap();
        assert_eq!(settings.schedule.plan_workers, 2);
        for workers in [0, settings.database.max_connections as usize + 1] {
            settings.schedule.plan_workers = workers;
            let err = settings.check().unwrap_err().to_string();
            assert!(err.starts_with("schedule.plan_workers") && err.contains("database.max_connections"), "{err}");
        }
        settings.schedule.plan_workers = settings.database.max_connections as usize;
        settings.check().unwrap();
    }
}
