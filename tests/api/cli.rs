//! The `tend` binary against a real database: exit codes and messages.

use std::process::Output;

use sqlx::PgPool;

use crate::helpers::{output_text, tend};

fn text(output: &Output) -> String {
    output_text(output)
}

#[sqlx::test]
async fn check_config_prints_the_effective_settings_without_secrets(pool: PgPool) {
    let secret_key = "a-very-secret-link-key-that-nobody-may-see";
    let output = tend(
        &pool,
        &["check-config"],
        &[
            ("TEND__SECURITY__LINK_KEYS", secret_key),
            ("TEND__MAIL__SMTP_PASSWORD", "hunter2-smtp"),
            ("TEND__HTTP__BIND", "127.0.0.1:9999"),
        ],
    );
    assert!(output.status.success(), "{}", text(&output));
    let printed = text(&output);
    assert!(printed.contains("bind = \"127.0.0.1:9999\""), "environment wins: {printed}");
    assert!(!printed.contains(secret_key) && !printed.contains("hunter2"), "{printed}");
    assert!(printed.contains("[redacted]"));
}

#[sqlx::test]
async fn bad_configuration_names_the_key_and_exits_2(pool: PgPool) {
    for (key, value, expected) in [
        ("TEND__MAIL__TRANSPORT", "pigeon", "pigeon"),
        ("TEND__SCHEDULE__JITTER", "soon", "soon"),
        ("TEND__HTTP__PUBLIC_URL", "ftp://x", "http.public_url"),
        ("TEND__MAIL__TIMEOUT", "90s", "mail.timeout"),
        ("TEND__CATALOG__PATH", "/nonexistent/catalog.toml", "catalog.path"),
    ] {
        let output = tend(&pool, &["check-config"], &[(key, value)]);
        assert_eq!(output.status.code(), Some(2), "{key}={value}: {}", text(&output));
        assert!(text(&output).contains(expected), "{key}={value}: {}", text(&output));
    }
}

#[sqlx::test]
async fn production_refuses_the_development_key(pool: PgPool) {
    let output = tend(&pool, &["check-config"], &[("TEND__ENVIRONMENT", "production")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output).contains("security.link_keys"), "{}", text(&output));
    let short = tend(
        &pool,
        &["check-config"],
        &[("TEND__ENVIRONMENT", "production"), ("TEND__SECURITY__LINK_KEYS", "only-31-bytes-long-key-abcdefgh")],
    );
    assert_eq!(short.status.code(), Some(2));
    assert!(text(&short).contains("at least 32 bytes"), "{}", text(&short));
}

#[sqlx::test]
async fn an_operator_catalog_with_a_bad_entry_is_refused_by_name(pool: PgPool) {
    let path = std::env::temp_dir().join(format!("tend-bad-catalog-{}.toml", std::process::id()));
    std::fs::write(&path, "[[nudge]]\ntrack = \"check-in\"\nvariant = \"x\"\nsubject = \"\"\nbody = \"Hi.\"\n")
        .unwrap();
    let output = tend(&pool, &["check-config"], &[("TEND__CATALOG__PATH", path.to_str().unwrap())]);
    std::fs::remove_file(&path).unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output).contains("nudge #1 (track \"check-in\", variant \"x\"): subject is empty"),
        "{}",
        text(&output)
    );
}

#[sqlx::test]
async fn operators_add_show_and_list_subscribers(pool: PgPool) {
    let added = tend(
        &pool,
        &[
            "subscriber",
            "add",
            "op@example.com",
            "--timezone",
            "Asia/Tokyo",
            "--time",
            "21:00",
            "--tracks",
            "support,patience",
            "--preconfirmed",
        ],
        &[],
    );
    assert!(added.status.success(), "{}", text(&added));
    assert!(text(&added).contains("op@example.com: active"));
    let shown = tend(&pool, &["subscriber", "show", "op@example.com"], &[]);
    assert!(shown.status.success());
    let shown = text(&shown);
    assert!(
        shown.contains("Asia/Tokyo") && shown.contains("track support") && shown.contains("track patience"),
        "{shown}"
    );
    // Without --preconfirmed an operator's subscriber still confirms by email.
    let pending = tend(&pool, &["subscriber", "add", "later@example.com"], &[]);
    assert!(text(&pending).contains("confirmation mail queued"));
    let listed = text(&tend(&pool, &["subscriber", "list"], &[]));
    assert!(listed.contains("op@example.com\tactive") && listed.contains("later@example.com\tpending"), "{listed}");
}

#[sqlx::test]
async fn bad_cli_arguments_name_the_value_and_exit_2(pool: PgPool) {
    for (args, expected) in [
        (vec!["subscriber", "add", "nope"], "nope"),
        (vec!["subscriber", "add", "a@b.co", "--timezone", "Moon/Base"], "Moon/Base"),
        (vec!["subscriber", "add", "a@b.co", "--time", "7pm"], "7pm"),
        (vec!["subscriber", "add", "a@b.co", "--tracks", "yoga"], "yoga"),
        (vec!["subscriber", "show", "ghost@example.com"], "ghost@example.com"),
        (vec!["frobnicate"], "frobnicate"),
    ] {
        let output = tend(&pool, &args, &[]);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", text(&output));
        assert!(text(&output).contains(expected), "{args:?}: {}", text(&output));
    }
    let subscribers: i64 = sqlx::query_scalar("select count(*) from subscribers").fetch_one(&pool).await.unwrap();
    assert_eq!(subscribers, 0);
}

#[sqlx::test]
async fn migrate_is_idempotent(pool: PgPool) {
    let output = tend(&pool, &["migrate"], &[]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("migrations applied"));
}

#[sqlx::test]
async fn the_local_environment_on_a_public_address_exits_2_naming_environment_and_http_bind(pool: PgPool) {
    let output = tend(&pool, &["serve"], &[("TEND__HTTP__BIND", "0.0.0.0:8080")]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let message = text(&output);
    assert!(message.contains("environment") && message.contains("http.bind"), "{message}");
    assert!(message.contains("0.0.0.0:8080"), "{message}");
    // The same address is fine for production (with keys of its own).
    let production = tend(
        &pool,
        &["check-config"],
        &[
            ("TEND__HTTP__BIND", "0.0.0.0:8080"),
            ("TEND__ENVIRONMENT", "production"),
            ("TEND__SECURITY__LINK_KEYS", "a-production-key-that-is-long-enough-0123456789"),
            ("TEND__SECURITY__PROMISE_KEY", "cHJvZHVjdGlvbi10ZXN0LXByb21pc2Uta2V5LTAxMjM="),
        ],
    );
    assert!(production.status.success(), "{}", text(&production));
}

#[sqlx::test]
async fn a_development_key_with_a_line_break_is_still_the_development_key(pool: PgPool) {
    let production = [
        ("TEND__ENVIRONMENT", "production"),
        ("TEND__SECURITY__LINK_KEYS", "a-production-key-that-is-long-enough-0123456789"),
    ];
    let promise = format!("{}\n", tend::config::DEVELOPMENT_PROMISE_KEY);
    let output =
        tend(&pool, &["check-config"], &[production[0], production[1], ("TEND__SECURITY__PROMISE_KEY", &promise)]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(text(&output).contains("security.promise_key"), "{}", text(&output));
    let link = format!("  {}\n", tend::config::DEVELOPMENT_LINK_KEY);
    let output = tend(&pool, &["check-config"], &[production[0], ("TEND__SECURITY__LINK_KEYS", &link)]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(text(&output).contains("security.link_keys"), "{}", text(&output));
}

#[sqlx::test]
async fn check_config_hides_passwords_holding_slashes_and_at_signs(pool: PgPool) {
    let passwords = ["pa/ss/word", "p@ss@word", "s3/cr@t?x#y"];
    for password in passwords {
        let output = tend(
            &pool,
            &["check-config"],
            &[
                ("DATABASE_URL", &format!("postgres://tend:{password}@db.internal:5432/tend")),
                ("TEND__MAIL__SMTP_URL", &format!("smtp://mailer:{password}@relay.example.org:587")),
                ("TEND__METRICS__TOKEN", password),
            ],
        );
        assert!(output.status.success(), "{}", text(&output));
        let printed = text(&output);
        assert!(!printed.contains(password) && !printed.contains("mailer:"), "{printed}");
        assert!(printed.contains("url = \"postgres://[redacted]@db.internal:5432/tend\""), "{printed}");
        assert!(printed.contains("smtp_url = \"smtp://[redacted]@relay.example.org:587/\""), "{printed}");
    }
}
