//! The rows this sender holds a claim on, from the claim until the outcome
//! is recorded (or the row released or cancelled): what the lease keeper
//! extends, and what a worker checks before it sends.
//!
//! A claim is either queued or taken by a worker. The lease keeper can only
//! call a queued claim lost: once a worker has taken a row, its fenced
//! outcome write is what finds out (and counts) a lost lease, and a row the
//! keeper did not find may simply have been recorded a moment ago.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::store::deliveries::Claim;

/// One held claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    attempt: i32,
    /// A worker has it: it is being sent or its outcome written.
    taken: bool,
}

/// id → entry. Cheap to clone; one per pipeline (or test step).
#[derive(Clone, Default)]
pub struct Held(Arc<Mutex<HashMap<i64, Entry>>>);

impl Held {
    pub fn add(&self, claims: &[Claim]) {
        let mut held = self.lock();
        for claim in claims {
            held.insert(claim.id(), Entry { attempt: claim.attempt(), taken: false });
        }
    }

    /// A worker takes the claim; false if it is no longer held (the lease
    /// keeper found it lost), and then the worker must leave it alone.
    pub fn take(&self, id: i64) -> bool {
        self.lock().get_mut(&id).map(|entry| entry.taken = true).is_some()
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

    #[cfg(test)]
    pub fn contains(&self, id: i64) -> bool {
        self.lock().contains_key(&id)
    }

    /// After a lease extension that asked for `asked` and kept `kept`:
    /// forgets and returns the claims that were really lost, the queued
    /// ones still held with the same attempt. A claim missing from `kept`
    /// that is no longer held (or is held with another attempt) was settled
    /// by this sender while the extension ran; one a worker has taken is
    /// being recorded (the extension skips rows an outcome write has
    /// locked) or will find out itself through its fenced write. Neither is
    /// a loss.
    pub fn forget_lost(&self, asked: &[(i64, i32)], kept: &[i64]) -> Vec<i64> {
        let kept: std::collections::HashSet<i64> = kept.iter().copied().collect();
        let mut held = self.lock();
        let lost: Vec<i64> = asked
            .iter()
            .filter(|(id, attempt)| {
                !kept.contains(id) && held.get(id) == Some(&Entry { attempt: *attempt, taken: false })
            })
            .map(|(id, _)| *id)
            .collect();
        for id in &lost {
            held.remove(id);
        }
        lost
    }

    /// (id, attempt) of every held claim.
    pub fn snapshot(&self) -> Vec<(i64, i32)> {
        self.lock().iter().map(|(id, entry)| (*id, entry.attempt)).collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Entry>> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(claims: &[(i64, i32)]) -> Held {
        let held = Held::default();
        held.lock().extend(claims.iter().map(|&(id, attempt)| (id, Entry { attempt, taken: false })));
        held
    }

    #[test]
    fn a_claim_settled_while_its_lease_was_extended_is_not_lost() {
        let held = held(&[(1, 1), (2, 1), (3, 1)]);
        let asked = held.snapshot();
        // The recorder wrote 2 meanwhile and let it go; 3 was taken over.
        held.remove(2);
        let lost = held.forget_lost(&asked, &[1]);
        assert_eq!(lost, vec![3]);
        assert!(held.contains(1) && !held.contains(3));
    }

    #[test]
    fn a_claim_held_again_with_a_newer_attempt_is_not_lost() {
        let held = held(&[(7, 1)]);
        let asked = held.snapshot();
        // Released and claimed again by this sender while the extension ran.
        held.lock().insert(7, Entry { attempt: 2, taken: false });
        assert!(held.forget_lost(&asked, &[]).is_empty());
        assert!(held.contains(7));
    }

    #[test]
    fn a_claim_a_worker_has_taken_is_never_called_lost_by_the_keeper() {
        let held = held(&[(1, 1), (2, 1)]);
        assert!(held.take(2));
        let asked = held.snapshot();
        // Neither was extended: 2 is locked by its outcome write (or was just
        // recorded), 1 was taken over while queued.
        let lost = held.forget_lost(&asked, &[]);
        assert_eq!(lost, vec![1]);
        assert!(held.contains(2));
        assert!(!held.take(1), "a lost claim cannot be taken");
    }
}
