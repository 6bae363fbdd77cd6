//! What operators rely on: health, readiness, the local outbox, DKIM. (The
//! metrics have their own file.)

use sqlx::PgPool;
use tend::config::MailTransportKind;

use crate::helpers::{spawn_app, spawn_app_with};

#[sqlx::test]
async fn health_and_readiness_answer(pool: PgPool) {
    let app = spawn_app(pool).await;
    assert_eq!(app.get("/healthz").await.status(), 200);
    assert_eq!(app.get("/readyz").await.status(), 200);
}

#[sqlx::test]
async fn readiness_fails_until_migrations_are_applied(pool: PgPool) {
    sqlx::query("delete from _sqlx_migrations").execute(&pool).await.unwrap();
    let app = spawn_app(pool).await;
    assert_eq!(app.get("/readyz").await.status(), 503);
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[sqlx::test]
async fn the_local_outbox_shows_written_mail_with_links(pool: PgPool) {
    let outbox = std::env::temp_dir().join(format!("tend-outbox-{}", rand_suffix()));
    let dir = outbox.clone();
    let app = spawn_app_with(pool, move |s| {
        s.mail.transport = MailTransportKind::File;
        s.mail.outbox_dir = dir;
    })
    .await;
    assert!(app.get("/outbox").await.text().await.unwrap().contains("Nothing yet"));
    app.subscribe("outbox@example.com").await;
    app.dispatch_all_pending_emails().await;
    let emls = std::fs::read_dir(&outbox)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().unwrap() == "eml")
        .count();
    assert_eq!(emls, 1);
    let page = app.get("/outbox").await.text().await.unwrap();
    assert!(page.contains("Please confirm your tend subscription"));
    assert!(page.contains(&format!("<a href=\"{}/confirm/", app.address)), "{page}");
    std::fs::remove_dir_all(outbox).unwrap();
}

#[sqlx::test]
async fn production_has_no_outbox_page(pool: PgPool) {
    let app = spawn_app_with(pool, |s| {
        s.environment = tend::config::Deployment::Production;
        s.security.link_keys = vec!["a-production-key-that-is-long-enough-0123456789".to_owned().into()];
        s.security.promise_keys = vec!["cHJvZHVjdGlvbi10ZXN0LXByb21pc2Uta2V5LTAxMjM=".to_owned().into()];
    })
    .await;
    assert_eq!(app.get("/outbox").await.status(), 404);
}

fn rand_suffix() -> String {
    format!(
        "{}-{:?}",
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
    )
}

#[sqlx::test]
async fn dkim_signs_the_unsubscribe_headers_too(pool: PgPool) {
    use base64::Engine;
    let key_file = std::env::temp_dir().join(format!("tend-dkim-{}.key", std::process::id()));
    std::fs::write(&key_file, base64::engine::general_purpose::STANDARD.encode([7u8; 32])).unwrap();
    let path = key_file.clone();
    let app = spawn_app_with(pool, move |s| {
        s.mail.dkim_selector = "tend2026".into();
        s.mail.dkim_algorithm = "ed25519".into();
        s.mail.dkim_key_file = path;
        s.mail.from = "tend <nudges@example.org>".into();
    })
    .await;
    app.subscribe("signed@example.com").await;
    app.dispatch_all_pending_emails().await;
    std::fs::remove_file(&key_file).unwrap();
    let mail = app.smtp.received_by("signed@example.com").pop().unwrap();
    let signature = mail.header("DKIM-Signature").expect("a DKIM signature").to_ascii_lowercase().replace(' ', "");
    assert!(signature.contains("d=example.org") && signature.contains("s=tend2026"), "{signature}");
    assert!(signature.contains("a=ed25519-sha256"), "{signature}");
    let signed = signature.split("h=").nth(1).unwrap().split(';').next().unwrap().to_owned();
    for header in ["list-unsubscribe", "list-unsubscribe-post", "from", "subject", "message-id"] {
        assert!(signed.split(':').any(|h| h == header), "{header} is not signed: {signed}");
    }
}

#[sqlx::test]
async fn a_bad_dkim_key_is_refused_at_start_by_name(pool: PgPool) {
    let mut settings = tend::config::Settings::load(None).unwrap();
    settings.mail.dkim_selector = "tend".into();
    settings.mail.dkim_key_file = "/nonexistent/dkim.pem".into();
    let err = tend::mail::Mailer::from_settings(&settings.mail).err().expect("refused");
    assert!(format!("{err:#}").contains("mail.dkim_key_file"), "{err:#}");
    drop(pool);
}
