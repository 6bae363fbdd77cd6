//! `[inbound]`: the SMTP listener for replies, bounces and complaints, and
//! whether mails carry the addresses that lead there.

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

use super::Duration;
use crate::domain::InboundDomain;

/// The inbound SMTP listener for replies, bounces and complaints.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct InboundSettings {
    /// Where the listener listens (`127.0.0.1:2525`); empty: no listener.
    pub bind: String,
    /// The domain of reply and bounce addresses; empty: the domain of `mail.from`.
    pub domain: String,
    /// Whether mails carry reply and bounce addresses: `auto` (when `bind`
    /// is set), `on` (another instance listens) or `off`.
    pub addresses: InboundAddresses,
    /// Larger messages get 552.
    pub max_bytes: usize,
    /// Sessions at once; more get 421 and are closed.
    pub max_connections: usize,
    /// The longest one session may last, whatever it does.
    pub session_timeout: Duration,
    /// Recipients one message may have; more get 452.
    pub max_recipients: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InboundAddresses {
    Auto,
    On,
    Off,
}

impl InboundSettings {
    /// The listener's address, if there is one.
    pub fn bind_addr(&self) -> anyhow::Result<Option<SocketAddr>> {
        match self.bind.trim() {
            "" => Ok(None),
            bind => bind
                .parse()
                .map(Some)
                .map_err(|_| anyhow::anyhow!("inbound.bind: {bind:?} is not an address such as 127.0.0.1:2525")),
        }
    }

    /// The domain of reply and bounce addresses, when mails carry them.
    pub fn announced_domain(&self, mail_from: &str) -> anyhow::Result<Option<InboundDomain>> {
        let announced = match self.addresses {
            InboundAddresses::Auto => self.bind_addr()?.is_some(),
            InboundAddresses::On => true,
            InboundAddresses::Off => false,
        };
        announced.then(|| self.domain(mail_from)).transpose()
    }

    /// `inbound.domain`, or else the domain of `mail.from`.
    pub fn domain(&self, mail_from: &str) -> anyhow::Result<InboundDomain> {
        let (key, domain) = match self.domain.trim() {
            "" => ("mail.from", mail_from.rsplit('@').next().unwrap_or_default().trim_end_matches('>')),
            domain => ("inbound.domain", domain),
        };
        InboundDomain::parse(domain)
            .map_err(|e| anyhow::anyhow!("{key}: {e} (the domain of reply and bounce addresses)"))
    }

    pub(super) fn check(&self, mail_from: &str) -> anyhow::Result<()> {
        self.bind_addr()?;
        if self.bind_addr()?.is_some() || self.addresses == InboundAddresses::On {
            self.domain(mail_from)?;
        }
        anyhow::ensure!(
            (10_240..=104_857_600).contains(&self.max_bytes),
            "inbound.max_bytes: must be between 10240 and 104857600"
        );
        anyhow::ensure!(self.max_connections > 0, "inbound.max_connections: must be positive");
        anyhow::ensure!(self.max_recipients > 0, "inbound.max_recipients: must be positive");
        anyhow::ensure!(
            self.session_timeout.as_chrono() >= chrono::Duration::seconds(1),
            "inbound.session_timeout: must be at least 1s"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Settings;

    #[test]
    fn inbound_addresses_follow_the_listener_and_take_the_from_domain() {
        let mut settings = Settings::load(None).unwrap();
        assert_eq!(settings.inbound.announced_domain(&settings.mail.from).unwrap(), None, "off by default");
        settings.inbound.bind = "127.0.0.1:2525".into();
        settings.mail.from = "tend <nudges@Example.org>".into();
        let domain = settings.inbound.announced_domain(&settings.mail.from).unwrap().unwrap();
        assert_eq!(domain.as_str(), "example.org");
        settings.inbound.domain = "reply example".into();
        assert!(settings.check().unwrap_err().to_string().starts_with("inbound.domain:"));
        settings.inbound.domain = String::new();
        settings.inbound.bind = "port 25".into();
        assert!(settings.check().unwrap_err().to_string().starts_with("inbound.bind:"));
    }
}
