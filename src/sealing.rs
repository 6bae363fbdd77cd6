//! Sealing personal text at rest: promise texts are stored as
//! ChaCha20-Poly1305 ciphertext under `security.promise_keys` (never a link
//! key), with a fresh random nonce per text. A database dump, a backup or a
//! curious query shows bytes, not words; tampered bytes fail to open.
//!
//! A text is bound to its row: the associated data is the subscriber's id
//! and the promise's id ([`Binding`]), so a ciphertext copied into another
//! person's row, or another promise's, does not open there. Keys rotate like
//! link keys: the first seals, every key opens, and each sealed text records
//! the id of the key that sealed it ([`Format::Bound`]). Texts sealed before
//! binding existed ([`Format::Unbound`]: no associated data, no key id) still
//! open, with any key, until `tend keys reseal` moves every text to the
//! first key and the bound format.

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// How a stored text was sealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Before binding: no associated data, key not recorded (every key is tried).
    Unbound,
    /// Bound to its row, sealed with the key whose [`key_id`] this is.
    Bound { key_id: i64 },
}

/// Text sealed for storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub ciphertext: Vec<u8>,
    pub nonce: Vec<u8>,
    pub format: Format,
}

/// The row a promise text belongs to: its associated data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding {
    pub subscriber_id: i64,
    pub promise_id: i64,
}

impl Binding {
    /// A label, so these bytes can never mean anything else, then both ids.
    fn associated_data(self) -> [u8; 31] {
        let mut data = [0u8; 31];
        data[..15].copy_from_slice(b"tend-promise-v1");
        data[15..23].copy_from_slice(&self.subscriber_id.to_be_bytes());
        data[23..].copy_from_slice(&self.promise_id.to_be_bytes());
        data
    }
}

/// Why a sealed text does not open. None of these is the visitor's fault;
/// pages say the words cannot be shown rather than failing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error("a sealed text has a malformed nonce")]
    Malformed,
    #[error("a sealed text names a key that is not in security.promise_keys")]
    UnknownKey,
    /// Tampered with, moved from another row, or sealed with another key.
    #[error("a sealed text does not open: it was changed or belongs to another promise")]
    DoesNotOpen,
}

struct SealingKey {
    id: i64,
    cipher: ChaCha20Poly1305,
}

#[derive(Clone)]
pub struct Sealer {
    keys: std::sync::Arc<[SealingKey]>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sealer({} keys, redacted)", self.keys.len())
    }
}

/// A key's id: the first 8 bytes of SHA-256 over a label and the key. It
/// names the key in each row without revealing anything about it.
pub fn key_id(key: &[u8]) -> i64 {
    let digest = Sha256::new().chain_update(b"tend promise key id").chain_update(key).finalize();
    i64::from_be_bytes(digest[..8].try_into().expect("a SHA-256 digest has 8 bytes"))
}

impl Sealer {
    /// Each key is 32 random bytes in base64 (`head -c 32 /dev/urandom | base64`),
    /// already trimmed (settings trim every key once, when they load); the
    /// first seals, all of them open. At least one is required.
    pub fn new(keys: &[SecretString]) -> anyhow::Result<Self> {
        anyhow::ensure!(!keys.is_empty(), "security.promise_keys needs at least one key");
        let keys = keys
            .iter()
            .enumerate()
            .map(|(i, key)| {
                let bytes = STANDARD.decode(key.expose_secret()).ok().filter(|b| b.len() == 32).with_context(|| {
                    format!("security.promise_keys[{i}] must be 32 bytes in base64 (head -c 32 /dev/urandom | base64)")
                })?;
                Ok(SealingKey { id: key_id(&bytes), cipher: ChaCha20Poly1305::new(Key::from_slice(&bytes)) })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self { keys: keys.into() })
    }

    /// The id of the key that seals.
    pub fn sealing_key_id(&self) -> i64 {
        self.keys[0].id
    }

    /// Seals `text` for the row `binding` names, with the first key.
    pub fn seal(&self, text: &str, binding: Binding) -> Sealed {
        let key = &self.keys[0];
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let payload = Payload { msg: text.as_bytes(), aad: &binding.associated_data() };
        let ciphertext = key.cipher.encrypt(&nonce, payload).expect("sealing in memory cannot fail");
        Sealed { ciphertext, nonce: nonce.to_vec(), format: Format::Bound { key_id: key.id } }
    }

    /// Opens a text sealed for `binding`'s row (or an unbound one, with any key).
    pub fn open(&self, sealed: &Sealed, binding: Binding) -> Result<String, OpenError> {
        if sealed.nonce.len() != 12 {
            return Err(OpenError::Malformed);
        }
        let nonce = Nonce::from_slice(&sealed.nonce);
        let plain = match sealed.format {
            Format::Bound { key_id } => {
                let key = self.keys.iter().find(|k| k.id == key_id).ok_or(OpenError::UnknownKey)?;
                let payload = Payload { msg: &sealed.ciphertext, aad: &binding.associated_data() };
                key.cipher.decrypt(nonce, payload).map_err(|_| OpenError::DoesNotOpen)?
            }
            Format::Unbound => self
                .keys
                .iter()
                .find_map(|k| k.cipher.decrypt(nonce, sealed.ciphertext.as_slice()).ok())
                .ok_or(OpenError::DoesNotOpen)?,
        };
        String::from_utf8(plain).map_err(|_| OpenError::DoesNotOpen)
    }

    /// Whether `sealed` is bound and under the first key: nothing to reseal.
    pub fn is_current(&self, sealed: &Sealed) -> bool {
        sealed.format == Format::Bound { key_id: self.sealing_key_id() }
    }
}

#[cfg(test)]
mod tests;
