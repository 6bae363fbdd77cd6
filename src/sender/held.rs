//! The rows this sender holds a claim on, from the claim until the outcome
//! is recorded (or the row released or cancelled): what the lease keeper
//! extends, and what a worker checks before it sends.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::store::deliveries::Claim;

/// id → attempt. Cheap to clone; one per pipeline (or test step).
#[derive(Clone, Default)]
pub struct Held(Arc<Mutex<HashMap<i64, i32>>>);

impl Held {
    pub fn add(&self, claims: &[Claim]) {
        let mut held = self.lock();
        for claim in claims {
            held.insert(claim.id(), claim.attempt());
        }
    }

    pub fn remove(&self, id: i64) {
        self.lock().remove(&id);
    }

    pub fn remove_all(&self, ids: impl IntoIterator<Item = i64>) {
        let mut held = self.lock();
        for id in ids {
            held.remove(&id);
        }
    }

    pub fn contains(&self, id: i64) -> bool {
        self.lock().contains_key(&id)
    }

    /// (id, attempt) of every held claim.
    pub fn snapshot(&self) -> Vec<(i64, i32)> {
        self.lock().iter().map(|(id, attempt)| (*id, *attempt)).collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, i32>> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
