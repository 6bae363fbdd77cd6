use chrono::{DateTime, TimeZone, Utc};
use secrecy::SecretString;

use super::LinkSigner;

/// `keys[0]` signs, all of them verify.
pub fn signer(keys: &[&str]) -> LinkSigner {
    let keys: Vec<SecretString> = keys.iter().map(|k| SecretString::from(k.to_string())).collect();
    LinkSigner::new(&keys).unwrap()
}

/// A fixed instant: token tests need no clock.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}
