use super::*;

#[test]
fn a_group_commit_waits_at_most_a_second() {
    let mut settings = Settings::load(None).unwrap();
    assert_eq!(settings.sender.record_wait.as_std(), std::time::Duration::from_millis(2), "the default");
    settings.sender.record_wait = Duration::parse("1s").unwrap();
    assert!(settings.check().is_ok());
    settings.sender.record_wait = Duration::parse("1001ms").unwrap();
    let err = settings.check().unwrap_err().to_string();
    assert!(err.starts_with("sender.record_wait: must be at most 1s (it is 1001ms)"), "{err}");
}

#[test]
fn content_lines_are_single_lines() {
    let mut settings = Settings::load(None).unwrap();
    settings.content.safety_line = "Call 0800 000 000\r\nBcc: x@example.org".into();
    let err = settings.check().unwrap_err().to_string();
    assert!(err.starts_with("content.safety_line: must be one line"), "{err}");
    settings.content.safety_line = "Call 0800 000 000, free, day and night.".into();
    settings.content.resources = "x".repeat(MAX_CONTENT_LINE_CHARS + 1);
    assert!(settings.check().unwrap_err().to_string().starts_with("content.resources: at most"));
}

#[test]
fn the_single_promise_key_of_earlier_versions_still_works_and_every_key_is_checked() {
    let key = |byte: u8| -> SecretString {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode([byte; 32]).into()
    };
    let mut settings = Settings::load(None).unwrap();
    settings.security.promise_key = Some(key(1));
    let keys = settings.security.promise_keys().unwrap();
    assert_eq!(keys.iter().map(|k| k.expose_secret().to_owned()).collect::<Vec<_>>(), [key(1).expose_secret()]);
    settings.security.promise_keys = vec![key(2), key(3)];
    let err = settings.security.promise_keys().unwrap_err().to_string();
    assert!(err.contains("security.promise_key is set beside security.promise_keys"), "{err}");
    settings.security.promise_keys = vec![key(2), key(1)];
    assert_eq!(settings.security.promise_keys().unwrap().len(), 2, "listed: the list is in force");
    settings.security.promise_key = None;
    settings.environment = Deployment::Production;
    settings.security.link_keys = vec!["a-production-link-key-that-is-long-enough-01".to_owned().into()];
    assert!(settings.check().is_ok());
    settings.security.promise_keys = vec![key(2), DEVELOPMENT_PROMISE_KEY.to_owned().into()];
    let err = settings.check().unwrap_err().to_string();
    assert!(err.starts_with("security.promise_keys: the development key is refused in production"), "{err}");
    settings.security.promise_keys = vec![key(2), "short".to_owned().into()];
    assert!(settings.check().unwrap_err().to_string().contains("security.promise_keys[1]"));
}

#[test]
fn the_shipped_defaults_load_and_pass_their_own_checks() {
    let settings = Settings::load(None).unwrap();
    assert!(settings.is_local());
    let printed = settings.redacted_toml().unwrap();
    assert!(!printed.contains(DEVELOPMENT_LINK_KEY));
}
