//! The `file` transport's outbox folder: each message as an `.eml` file
//! plus a small `.json` summary for the `/outbox` page, and erasing one
//! address's copies when its subscriber is forgotten.
//!
//! Files are named `to-ADDRESS_KEY-WRITTEN-MESSAGE_KEY.{json,eml}`, where
//! `ADDRESS_KEY` is a hash of the lowercased recipient ([`address_key`]):
//! erasing finds an address's files by name, without reading any, and the
//! name does not show the address to someone listing the folder. Files
//! written before this naming (no `to-` prefix) are found by reading their
//! `.json` summary.

use std::path::Path;

use lettre::Message;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::compose::OutgoingEmail;
use super::transport::SendOutcome;

/// The `.json` written beside each `.eml` for the `/outbox` page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutboxEntry {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub message_id: String,
    pub written_at: chrono::DateTime<chrono::Utc>,
}

/// The start of every file name this naming gives a message.
const PREFIX: &str = "to-";

/// 16 hex digits of SHA-256 over a label and the lowercased address.
pub fn address_key(address: &str) -> String {
    let digest = Sha256::new().chain_update(b"tend outbox address").chain_update(address.to_lowercase()).finalize();
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

pub async fn write(dir: &Path, email: &OutgoingEmail, message: &Message) -> SendOutcome {
    let written_at = chrono::Utc::now();
    let stem = format!(
        "{PREFIX}{}-{}-{}",
        address_key(&email.to),
        written_at.format("%Y%m%dT%H%M%S%.6fZ"),
        email.message_id.trim_matches(['<', '>']).split('@').next().unwrap_or("mail")
    );
    let entry = OutboxEntry {
        to: email.to.clone(),
        subject: email.subject.clone(),
        text: email.text.clone(),
        message_id: email.message_id.clone(),
        written_at,
    };
    let result = async {
        tokio::fs::create_dir_all(dir).await?;
        let json = serde_json::to_vec_pretty(&entry).map_err(std::io::Error::other)?;
        write_atomically(&dir.join(format!("{stem}.json")), &json).await?;
        // The .eml goes last: its presence means the message is complete.
        write_atomically(&dir.join(format!("{stem}.eml")), &message.formatted()).await
    }
    .await;
    match result {
        Ok(()) => SendOutcome::Sent { code: 250, reply: format!("written to {}", dir.display()) },
        Err(err) => SendOutcome::Transient { code: None, reason: format!("cannot write to the outbox folder: {err}") },
    }
}

async fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    tokio::fs::write(&tmp, bytes).await?;
    tokio::fs::rename(&tmp, path).await
}

/// Deletes every copy of mail to `address` in `dir` (a missing folder holds
/// none); returns how many files went.
pub async fn erase(dir: &Path, address: &str) -> std::io::Result<usize> {
    let mine = format!("{PREFIX}{}-", address_key(address));
    let mut listing = match tokio::fs::read_dir(dir).await {
        Ok(listing) => listing,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(err) => return Err(err),
    };
    let mut doomed = Vec::new();
    while let Some(file) = listing.next_entry().await? {
        let name = file.file_name().to_string_lossy().into_owned();
        if name.starts_with(&mine) || (!name.starts_with(PREFIX) && older_copy_to(&file.path(), address).await) {
            doomed.push(file.path());
        }
    }
    let mut erased = 0;
    for path in doomed {
        for sibling in [path.with_extension("eml"), path.with_extension("json"), path.with_extension("tmp")] {
            match tokio::fs::remove_file(&sibling).await {
                Ok(()) => erased += 1,
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                Err(err) => return Err(err),
            }
        }
    }
    Ok(erased)
}

/// Whether `path` is the `.json` summary of a file named before address
/// keys, addressed to `address`.
async fn older_copy_to(path: &Path, address: &str) -> bool {
    if path.extension().is_none_or(|e| e != "json") {
        return false;
    }
    let Ok(bytes) = tokio::fs::read(path).await else { return false };
    serde_json::from_slice::<OutboxEntry>(&bytes).is_ok_and(|entry| entry.to.eq_ignore_ascii_case(address))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_key_ignores_case_and_hides_the_address() {
        assert_eq!(address_key("A@Example.org"), address_key("a@example.org"));
        assert_ne!(address_key("a@example.org"), address_key("b@example.org"));
        assert_eq!(address_key("a@example.org").len(), 16);
        assert!(!address_key("a@example.org").contains("example"));
    }
}
