//! DKIM signing, optional. Besides the usual headers, the signature covers
//! `List-Unsubscribe` and `List-Unsubscribe-Post`: RFC 8058 asks for it, and
//! lettre's default header list leaves them out, so mailbox providers would
//! not trust the one-click unsubscribe. Relaxed canonicalisation survives
//! relays that rewrap headers.

use anyhow::Context;
use lettre::message::dkim::{
    DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm, DkimSigningKey,
};
use lettre::message::header::HeaderName;

use crate::config::MailSettings;

/// The headers every signature covers.
pub const SIGNED_HEADERS: [&str; 9] = [
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "List-Id",
    "Auto-Submitted",
];

/// The signing configuration, or `None` when `mail.dkim_selector` is empty.
pub fn config(settings: &MailSettings, from_domain: &str) -> anyhow::Result<Option<DkimConfig>> {
    let selector = settings.dkim_selector.trim();
    if selector.is_empty() {
        return Ok(None);
    }
    anyhow::ensure!(
        selector.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'),
        "mail.dkim_selector: {selector:?} is not a DNS label"
    );
    let algorithm = match settings.dkim_algorithm.trim() {
        "rsa" => DkimSigningAlgorithm::Rsa,
        "ed25519" => DkimSigningAlgorithm::Ed25519,
        other => anyhow::bail!("mail.dkim_algorithm: {other:?} is not rsa or ed25519"),
    };
    let path = &settings.dkim_key_file;
    let key_text =
        std::fs::read_to_string(path).with_context(|| format!("mail.dkim_key_file: cannot read {}", path.display()))?;
    let key = DkimSigningKey::new(key_text.trim(), algorithm).map_err(|_| {
        anyhow::anyhow!(
            "mail.dkim_key_file: {} is not a {} key (rsa: PKCS#1 PEM; ed25519: base64 of the 32-byte seed)",
            path.display(),
            settings.dkim_algorithm.trim()
        )
    })?;
    let domain = match settings.dkim_domain.trim() {
        "" => from_domain.to_owned(),
        domain => domain.to_owned(),
    };
    let headers = SIGNED_HEADERS.iter().map(|h| HeaderName::new_from_ascii_str(h)).collect();
    let canonicalization =
        DkimCanonicalization { header: DkimCanonicalizationType::Relaxed, body: DkimCanonicalizationType::Relaxed };
    Ok(Some(DkimConfig::new(selector.to_owned(), domain, key, headers, canonicalization)))
}
