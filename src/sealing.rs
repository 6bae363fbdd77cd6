//! Sealing personal text at rest: promise texts are stored as
//! ChaCha20-Poly1305 ciphertext under `security.promise_key` (never the
//! link key), with a fresh random nonce per text. A database dump, a backup
//! or a curious query shows bytes, not words; tampered bytes fail to open.

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use secrecy::{ExposeSecret, SecretString};

/// Text sealed for storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub ciphertext: Vec<u8>,
    pub nonce: Vec<u8>,
}

#[derive(Clone)]
pub struct Sealer {
    cipher: ChaCha20Poly1305,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(redacted)")
    }
}

impl Sealer {
    /// `key` is 32 random bytes in base64 (`head -c 32 /dev/urandom | base64`),
    /// already trimmed (settings trim every key once, when they load).
    pub fn from_base64(key: &SecretString) -> anyhow::Result<Self> {
        let bytes = STANDARD
            .decode(key.expose_secret())
            .ok()
            .filter(|b| b.len() == 32)
            .context("security.promise_key must be 32 bytes in base64 (head -c 32 /dev/urandom | base64)")?;
        Ok(Self { cipher: ChaCha20Poly1305::new(Key::from_slice(&bytes)) })
    }

    pub fn seal(&self, text: &str) -> Sealed {
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let ciphertext = self.cipher.encrypt(&nonce, text.as_bytes()).expect("sealing in memory cannot fail");
        Sealed { ciphertext, nonce: nonce.to_vec() }
    }

    pub fn open(&self, sealed: &Sealed) -> anyhow::Result<String> {
        anyhow::ensure!(sealed.nonce.len() == 12, "a sealed text has a malformed nonce");
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(&sealed.nonce), sealed.ciphertext.as_slice())
            .map_err(|_| anyhow::anyhow!("a sealed text does not open with security.promise_key"))?;
        String::from_utf8(plain).context("a sealed text is not UTF-8")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(byte: u8) -> Sealer {
        Sealer::from_base64(&STANDARD.encode([byte; 32]).into()).unwrap()
    }

    #[test]
    fn sealed_text_opens_with_the_same_key_only() {
        let sealed = sealer(1).seal("pick up the kids on Thursday");
        assert!(!String::from_utf8_lossy(&sealed.ciphertext).contains("kids"));
        assert_eq!(sealer(1).open(&sealed).unwrap(), "pick up the kids on Thursday");
        assert!(sealer(2).open(&sealed).is_err());
        let mut tampered = sealed.clone();
        tampered.ciphertext[0] ^= 1;
        assert!(sealer(1).open(&tampered).is_err());
    }

    #[test]
    fn the_same_text_seals_differently_each_time() {
        let s = sealer(3);
        assert_ne!(s.seal("same").ciphertext, s.seal("same").ciphertext);
    }

    #[test]
    fn bad_keys_are_refused_with_the_key_name() {
        for bad in ["", "not base64!", "c2hvcnQ="] {
            let err = Sealer::from_base64(&bad.to_owned().into()).unwrap_err();
            assert!(err.to_string().contains("security.promise_key"));
        }
    }
}
