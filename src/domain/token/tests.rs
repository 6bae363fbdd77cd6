use chrono::Duration;

use super::fixtures::{now, signer};
use super::*;
use crate::domain::Track;

fn claims(purpose: Purpose, subject: i64, generation: u32, lifetime: Duration) -> Claims {
    Claims::new(purpose, subject, LinkGeneration(generation), now(), lifetime)
}

#[test]
fn a_signed_token_verifies_for_its_purpose_subject_generation_and_issue_time() {
    let s = signer(&["k1"]);
    let token = s.sign(&claims(Purpose::Preferences, 42, 3, Duration::days(1)));
    assert_eq!(token.len(), 60);
    let verified = s.verify(&token, Purpose::Preferences, now()).unwrap();
    assert_eq!(verified, claims(Purpose::Preferences, 42, 3, Duration::days(1)));
    assert_eq!(verified.age(now() + Duration::hours(2)), Duration::hours(2));
    assert_eq!(verified.lifetime(), Duration::days(1));
}

#[test]
fn a_token_for_one_purpose_does_not_work_for_another() {
    let s = signer(&["k1"]);
    let token = s.sign(&claims(Purpose::Answer, 42, 0, Duration::days(1)));
    assert_eq!(s.verify(&token, Purpose::Unsubscribe, now()), Err(TokenError::Invalid));
    assert_eq!(s.verify(&token, Purpose::Confirm, now()), Err(TokenError::Invalid));
}

#[test]
fn tampering_truncation_and_foreign_keys_are_invalid() {
    let s = signer(&["k1"]);
    let token = s.sign(&claims(Purpose::Answer, 42, 0, Duration::days(1)));
    let mut tampered = token.clone().into_bytes();
    tampered[5] = if tampered[5] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    assert_eq!(s.verify(&tampered, Purpose::Answer, now()), Err(TokenError::Invalid));
    assert_eq!(s.verify(&token[..44], Purpose::Answer, now()), Err(TokenError::Invalid));
    assert_eq!(s.verify("", Purpose::Answer, now()), Err(TokenError::Invalid));
    assert_eq!(s.verify(&"%".repeat(60), Purpose::Answer, now()), Err(TokenError::Invalid));
    assert_eq!(signer(&["other"]).verify(&token, Purpose::Answer, now()), Err(TokenError::Invalid));
}

#[test]
fn a_generation_cannot_be_edited_into_a_token() {
    let s = signer(&["k1"]);
    let token = s.sign(&claims(Purpose::Preferences, 42, 0, Duration::days(1)));
    let mut bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
    bytes[28] = 1;
    assert_eq!(s.peek(&URL_SAFE_NO_PAD.encode(bytes)), Err(TokenError::Invalid));
}

#[test]
fn expired_tokens_say_so() {
    let s = signer(&["k1"]);
    let token = s.sign(&claims(Purpose::Confirm, 7, 0, Duration::zero()));
    assert_eq!(s.verify(&token, Purpose::Confirm, now()), Err(TokenError::Expired));
}

#[test]
fn rotated_keys_still_verify_old_links_and_new_links_use_the_first_key() {
    let old = signer(&["old"]);
    let rotated = signer(&["new", "old"]);
    let old_token = old.sign(&claims(Purpose::Unsubscribe, 9, 0, Duration::days(90)));
    assert!(rotated.verify(&old_token, Purpose::Unsubscribe, now()).is_ok());
    let new_token = rotated.sign(&claims(Purpose::Unsubscribe, 9, 0, Duration::days(90)));
    assert!(signer(&["new"]).verify(&new_token, Purpose::Unsubscribe, now()).is_ok());
    assert!(old.verify(&new_token, Purpose::Unsubscribe, now()).is_err());
}

#[test]
fn layout1_links_already_mailed_verify_as_the_first_generation() {
    let s = signer(&["k1"]);
    let expires = now() + Duration::days(80);
    let old = s.sign_layout1(Purpose::Preferences, 42, expires);
    assert_eq!(old.len(), 44);
    let claims = s.verify(&old, Purpose::Preferences, now()).unwrap();
    assert_eq!((claims.subject, claims.generation, claims.expires_at), (42, LinkGeneration::FIRST, expires));
    assert_eq!(claims.issued_at, expires - Duration::days(90), "issued one layout-1 lifetime before expiry");
    assert_eq!(claims.current(LinkGeneration::FIRST), Ok(claims));
    assert_eq!(claims.current(LinkGeneration(1)), Err(TokenError::Revoked));
}

#[test]
fn an_older_generation_is_revoked_except_for_unsubscribing() {
    for purpose in [Purpose::Confirm, Purpose::Preferences, Purpose::Resume, Purpose::Promise, Purpose::Answer] {
        let old = claims(purpose, 1, 2, Duration::days(1));
        assert_eq!(old.current(LinkGeneration(3)), Err(TokenError::Revoked), "{purpose:?}");
        assert_eq!(old.current(LinkGeneration(2)), Ok(old));
    }
    let unsubscribe = claims(Purpose::Unsubscribe, 1, 2, Duration::days(400));
    assert_eq!(unsubscribe.current(LinkGeneration(9)), Ok(unsubscribe));
}

#[test]
fn peek_reads_any_genuine_token_and_page_facts_only_on_answer_links() {
    let s = signer(&["k1"]);
    let expired = claims(Purpose::Resume, 5, 1, Duration::zero());
    assert_eq!(s.peek(&s.sign(&expired)), Ok(expired));
    let facts = PageFacts { subscriber_id: 5, track: Track::Patience, variant: 77 };
    let mut answer = claims(Purpose::Nudge, 8, 1, Duration::days(14));
    answer.page = Some(facts);
    assert_eq!(s.peek(&s.sign(&answer)), Ok(answer));
    // A nudge purpose without facts, or facts on another purpose, is not a token tend mints.
    assert_eq!(s.peek(&s.sign(&claims(Purpose::Nudge, 8, 1, Duration::days(1)))), Err(TokenError::Invalid));
    let mut odd = claims(Purpose::Preferences, 8, 1, Duration::days(1));
    odd.page = Some(facts);
    assert_eq!(s.peek(&s.sign(&odd)), Err(TokenError::Invalid));
}
