use super::*;

fn key(byte: u8) -> SecretString {
    STANDARD.encode([byte; 32]).into()
}

fn sealer(bytes: &[u8]) -> Sealer {
    Sealer::new(&bytes.iter().map(|b| key(*b)).collect::<Vec<_>>()).unwrap()
}

const MINE: Binding = Binding { subscriber_id: 1, promise_id: 10 };

/// What versions before binding stored: no associated data, no key id.
fn unbound(byte: u8, text: &str) -> Sealed {
    let cipher = ChaCha20Poly1305::new(Key::from_slice(&[byte; 32]));
    let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
    Sealed {
        ciphertext: cipher.encrypt(&nonce, text.as_bytes()).unwrap(),
        nonce: nonce.to_vec(),
        format: Format::Unbound,
    }
}

#[test]
fn sealed_text_opens_with_the_same_key_only() {
    let sealed = sealer(&[1]).seal("pick up the kids on Thursday", MINE);
    assert!(!String::from_utf8_lossy(&sealed.ciphertext).contains("kids"));
    assert_eq!(sealer(&[1]).open(&sealed, MINE).unwrap(), "pick up the kids on Thursday");
    assert_eq!(sealer(&[2]).open(&sealed, MINE), Err(OpenError::UnknownKey));
    let mut tampered = sealed.clone();
    tampered.ciphertext[0] ^= 1;
    assert_eq!(sealer(&[1]).open(&tampered, MINE), Err(OpenError::DoesNotOpen));
}

#[test]
fn a_text_moved_to_another_row_does_not_open_there() {
    let s = sealer(&[1]);
    let sealed = s.seal("call at lunch", MINE);
    for elsewhere in [Binding { subscriber_id: 2, promise_id: 10 }, Binding { subscriber_id: 1, promise_id: 11 }] {
        assert_eq!(s.open(&sealed, elsewhere), Err(OpenError::DoesNotOpen), "{elsewhere:?}");
    }
    // Nor does calling it unbound get around the binding.
    let downgraded = Sealed { format: Format::Unbound, ..sealed };
    assert_eq!(s.open(&downgraded, MINE), Err(OpenError::DoesNotOpen));
}

#[test]
fn the_first_key_seals_every_key_opens_and_unbound_texts_open_with_any() {
    let rotated = sealer(&[2, 1]);
    let old = sealer(&[1]).seal("old words", MINE);
    assert_eq!(rotated.open(&old, MINE).unwrap(), "old words");
    assert!(!rotated.is_current(&old));
    let new = rotated.seal("new words", MINE);
    assert!(rotated.is_current(&new));
    assert_eq!(new.format, Format::Bound { key_id: key_id(&[2; 32]) });
    assert_eq!(rotated.open(&unbound(1, "before binding"), MINE).unwrap(), "before binding");
    assert!(!rotated.is_current(&unbound(2, "x")));
    assert_eq!(sealer(&[3]).open(&unbound(1, "x"), MINE), Err(OpenError::DoesNotOpen));
}

#[test]
fn the_same_text_seals_differently_each_time() {
    let s = sealer(&[3]);
    assert_ne!(s.seal("same", MINE).ciphertext, s.seal("same", MINE).ciphertext);
}

#[test]
fn bad_keys_are_refused_with_the_key_name_and_position() {
    for bad in ["", "not base64!", "c2hvcnQ="] {
        let err = Sealer::new(&[key(1), bad.to_owned().into()]).unwrap_err();
        assert!(err.to_string().contains("security.promise_keys[1]"), "{err}");
    }
    assert!(Sealer::new(&[]).is_err());
}
