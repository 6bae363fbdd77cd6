//! tend against real relays: a private Postfix per test (`postfix.rs`),
//! with Dovecot checking the login and a CA made at test time (`pki.rs`).
//! Each test drives the sender one step at a time and reads the outcome
//! from the `deliveries` row, what Postfix put on hold and Postfix's log.
//!
//! The relay is reached as an operator would configure a production one:
//! by IP address, with the certificate's name in `mail.tls_server_name`,
//! its CA in `mail.ca_file`, STARTTLS required and a login.

mod files;
mod pki;
pub mod postfix;

use std::sync::{Arc, Mutex};

use sqlx::PgPool;
use tend::config::{Settings, StartTls};
use tracing::instrument::WithSubscriber;

use self::pki::TestCa;
use self::postfix::{Port, Postfix, RELAY_NAME, USERNAME};
use crate::helpers::{TestApp, spawn_app_with};

/// Points tend at `port` of `relay` with production-like settings.
fn through(relay: &Postfix, port: Port, s: &mut Settings) {
    s.mail.smtp_url = relay.url(port).into();
    s.mail.starttls = StartTls::Required;
    s.mail.ca_file = relay.ca_file();
    s.mail.tls_server_name = RELAY_NAME.into();
    s.mail.smtp_username = USERNAME.into();
    s.mail.smtp_password = relay.password().to_owned().into();
    s.sender.retry_base = tend::config::Duration::parse("30s").unwrap();
}

/// The confirmation mail of one address, as the sender left it.
#[derive(Debug)]
struct Row {
    status: String,
    attempt: i32,
    smtp_code: Option<i16>,
    last_error: String,
    /// Seconds until the next attempt may start (database clock).
    retry_in: f64,
    unknown_outcomes: i32,
}

async fn row(app: &TestApp, email: &str) -> Row {
    let (status, attempt, smtp_code, last_error, retry_in, unknown_outcomes) = sqlx::query_as(
        "select d.status, d.attempt, d.smtp_code, coalesce(d.last_error, ''),
                extract(epoch from d.due_at - now())::float8, d.unknown_outcomes
         from deliveries d join subscribers s on s.id = d.subscriber_id where s.email = $1",
    )
    .bind(email)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    Row { status, attempt, smtp_code, last_error, retry_in, unknown_outcomes }
}

/// Makes every queued retry due now: the same as waiting out the backoff.
async fn make_due(app: &TestApp) {
    sqlx::query("update deliveries set due_at = now() where status = 'pending'").execute(&app.pool).await.unwrap();
}

/// What tend logged (INFO and up), captured around one sender step.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One sender step (claim, send, record); returns what tend logged.
async fn send_step(app: &TestApp) -> String {
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    app.sender.try_execute_batch().with_subscriber(subscriber).await.expect("the sender step never fails on SMTP");
    String::from_utf8(logs.0.lock().unwrap().clone()).unwrap()
}

async fn message_key(app: &TestApp, email: &str) -> String {
    sqlx::query_scalar(
        "select d.message_key::text from deliveries d join subscribers s on s.id = d.subscriber_id where s.email = $1",
    )
    .bind(email)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

/// The lines in which Postfix's smtpd closed one of tend's sessions: their
/// command counts (`ehlo=1 auth=1 mail=1 …`) say everything the client
/// sent. (The harness's readiness probes send nothing: `commands=0/0`.)
fn sessions(lines: &[String]) -> Vec<&String> {
    lines.iter().filter(|line| line.contains("disconnect from") && !line.ends_with("commands=0/0")).collect()
}

#[sqlx::test]
async fn starttls_then_auth_plain_delivers_through_postfix(pool: PgPool) {
    let Some(relay) = Postfix::start() else { return };
    let app = spawn_app_with(pool, |s| through(&relay, Port::Submission, s)).await;
    app.subscribe("reader@example.com").await;

    let logs = send_step(&app).await;

    let row = row(&app, "reader@example.com").await;
    assert_eq!((row.status.as_str(), row.attempt, row.smtp_code), ("sent", 1, Some(250)), "{row:?}\n{logs}");
    assert!(row.last_error.contains("queued as"), "Postfix's own 250 reply: {row:?}");
    let held = relay.held();
    assert_eq!(held.len(), 1, "{}", relay.log());
    assert_eq!(held[0].recipients, ["reader@example.com"]);
    assert!(held[0].message_id.contains(&message_key(&app, "reader@example.com").await), "{held:?}");
    assert!(held[0].received.contains("with ESMTPSA"), "over TLS, logged in: {}", held[0].received);
    assert_eq!(held[0].sasl_username.as_deref(), Some(USERNAME));
    let lines = relay.wait_for_line(Port::Submission, "sasl_method=");
    assert!(lines.iter().any(|l| l.contains("sasl_method=PLAIN")), "{lines:#?}");
}

#[sqlx::test]
async fn auth_login_delivers_when_the_relay_offers_only_login(pool: PgPool) {
    let Some(relay) = Postfix::start() else { return };
    let app = spawn_app_with(pool, |s| through(&relay, Port::LoginOnly, s)).await;
    app.subscribe("login@example.com").await;

    let logs = send_step(&app).await;

    assert_eq!(row(&app, "login@example.com").await.status, "sent", "{logs}\n{}", relay.log());
    assert_eq!(relay.held()[0].sasl_username.as_deref(), Some(USERNAME));
    let lines = relay.wait_for_line(Port::LoginOnly, "sasl_method=");
    assert!(lines.iter().any(|l| l.contains("sasl_method=LOGIN")), "{lines:#?}");
}

#[sqlx::test]
async fn a_wrong_password_is_a_transient_failure_that_names_the_settings_to_fix(pool: PgPool) {
    let Some(relay) = Postfix::start() else { return };
    let app = spawn_app_with(pool, |s| {
        through(&relay, Port::Submission, s);
        s.mail.smtp_password = "not-the-password".to_owned().into();
        s.sender.max_attempts = 1;
    })
    .await;
    app.subscribe("patient@example.com").await;

    let logs = send_step(&app).await;

    let first = row(&app, "patient@example.com").await;
    assert_eq!((first.status.as_str(), first.attempt, first.smtp_code), ("pending", 1, None), "{first:?}");
    let says = "the relay refused the login (mail.smtp_username, mail.smtp_password)";
    assert!(first.last_error.contains(says) && first.last_error.contains("535"), "{first:?}");
    assert!(logs.lines().any(|l| l.contains("WARN") && l.contains(says)), "{logs}");
    relay.wait_for_line(Port::Submission, "authentication failed");
    // Past sender.max_attempts (1) and still waiting: a login problem is the
    // operator's to fix and never makes mail fail.
    make_due(&app).await;
    send_step(&app).await;
    let second = row(&app, "patient@example.com").await;
    assert_eq!((second.status.as_str(), second.attempt), ("pending", 2), "{second:?}");
    assert!(relay.held().is_empty());
}

#[sqlx::test]
async fn smtps_delivers_over_implicit_tls(pool: PgPool) {
    let Some(relay) = Postfix::start() else { return };
    let app = spawn_app_with(pool, |s| through(&relay, Port::Smtps, s)).await;
    app.subscribe("implicit@example.com").await;

    let logs = send_step(&app).await;

    let row = row(&app, "implicit@example.com").await;
    assert_eq!((row.status.as_str(), row.smtp_code), ("sent", Some(250)), "{row:?}\n{logs}\n{}", relay.log());
    let held = relay.held();
    assert_eq!(held[0].recipients, ["implicit@example.com"]);
    assert!(held[0].received.contains("with ESMTPSA"), "{}", held[0].received);
    relay.wait_for_line(Port::Smtps, "TLS connection established");
}

#[sqlx::test]
async fn a_certificate_from_an_unknown_ca_is_refused_unless_mail_ca_file_names_it(pool: PgPool) {
    let Some(relay) = Postfix::start() else { return };
    let email = "careful@example.com";

    // The built-in roots only: the relay's private CA is unknown.
    let untrusting = spawn_app_with(pool.clone(), |s| {
        through(&relay, Port::Submission, s);
        s.mail.ca_file = Default::default();
        s.sender.max_attempts = 1;
    })
    .await;
    untrusting.subscribe(email).await;
    let logs = send_step(&untrusting).await;
    let refused = row(&untrusting, email).await;
    assert_eq!((refused.status.as_str(), refused.smtp_code), ("pending", None), "{refused:?}");
    assert!(refused.last_error.contains("UnknownIssuer") && refused.last_error.contains("mail.ca_file"), "{refused:?}");
    let warned = |l: &str| l.contains("WARN") && l.contains("TLS with the relay failed") && l.contains("mail.ca_file");
    assert!(logs.lines().any(warned), "{logs}");
    // The session ended in the handshake: no login, no envelope, in the clear or not.
    let lines = relay.wait_for_line(Port::Submission, "ehlo=");
    for session in sessions(&lines) {
        assert!(session.contains("starttls=0/1"), "{session}");
        assert!(!session.contains("auth=") && !session.contains("mail="), "{session}");
    }

    // Some other CA in mail.ca_file: still refused.
    let other_ca = relay.scratch("other-ca.pem");
    std::fs::write(&other_ca, TestCa::new("some other CA").pem()).unwrap();
    let misled = spawn_app_with(pool.clone(), |s| {
        through(&relay, Port::Submission, s);
        s.mail.ca_file = other_ca.clone();
        s.sender.max_attempts = 1;
    })
    .await;
    make_due(&misled).await;
    send_step(&misled).await;
    let still = row(&misled, email).await;
    assert_eq!((still.status.as_str(), still.attempt), ("pending", 2), "past max_attempts, still waiting: {still:?}");
    assert!(still.last_error.contains("UnknownIssuer"), "{still:?}");
    assert!(relay.held().is_empty());

    // The relay's CA in mail.ca_file: delivered.
    let trusting = spawn_app_with(pool, |s| through(&relay, Port::Submission, s)).await;
    make_due(&trusting).await;
    let logs = send_step(&trusting).await;
    let sent = row(&trusting, email).await;
    assert_eq!((sent.status.as_str(), sent.attempt), ("sent", 3), "{sent:?}\n{logs}");
    assert_eq!(relay.held()[0].recipients, [email]);
}

#[sqlx::test]
async fn a_relay_reached_by_ip_address_is_verified_against_mail_tls_server_name(pool: PgPool) {
    let Some(relay) = Postfix::start() else { return };
    let email = "named@example.com";

    // The URL says 127.0.0.1; the certificate names only relay.tend.test.
    let unnamed = spawn_app_with(pool.clone(), |s| {
        through(&relay, Port::Smtps, s);
        s.mail.tls_server_name = String::new();
    })
    .await;
    unnamed.subscribe(email).await;
    send_step(&unnamed).await;
    let refused = row(&unnamed, email).await;
    assert_eq!((refused.status.as_str(), refused.smtp_code), ("pending", None), "{refused:?}");
    assert!(refused.last_error.contains("not valid for name \"127.0.0.1\""), "{refused:?}");
    assert!(refused.last_error.contains("mail.tls_server_name"), "{refused:?}");

    let named = spawn_app_with(pool, |s| through(&relay, Port::Smtps, s)).await;
    make_due(&named).await;
    let logs = send_step(&named).await;
    assert_eq!(row(&named, email).await.status, "sent", "{logs}");
}

#[sqlx::test]
async fn a_421_or_451_at_rcpt_is_retried_with_a_growing_backoff(pool: PgPool) {
    let Some(relay) = Postfix::start() else { return };
    let app = spawn_app_with(pool, |s| through(&relay, Port::Submission, s)).await;
    let replies = [("busy@example.com", 451), ("closing@example.com", 421)];
    for (email, _) in replies {
        app.subscribe(email).await;
    }

    send_step(&app).await;
    for (email, code) in replies {
        let row = row(&app, email).await;
        assert_eq!((row.status.as_str(), row.attempt, row.smtp_code), ("pending", 1, Some(code)), "{row:?}");
        // retry_base 30 s, plus up to 20 % jitter (less the moments since it was written).
        assert!((25.0..=36.0).contains(&row.retry_in), "{email}: {row:?}");
    }
    make_due(&app).await;
    send_step(&app).await;
    for (email, code) in replies {
        let row = row(&app, email).await;
        assert_eq!((row.status.as_str(), row.attempt, row.smtp_code), ("pending", 2, Some(code)), "{row:?}");
        assert!((55.0..=72.0).contains(&row.retry_in), "doubled: {email}: {row:?}");
    }
    let lines = relay.wait_for_line(Port::Submission, "421 4.7.0");
    assert!(lines.iter().any(|l| l.contains("451 4.7.1")), "{lines:#?}");
    assert!(relay.held().is_empty());
}

#[sqlx::test]
async fn a_550_at_rcpt_fails_for_good_and_a_5_1_1_suppresses_the_address(pool: PgPool) {
    let Some(relay) = Postfix::start() else { return };
    let app = spawn_app_with(pool, |s| through(&relay, Port::Submission, s)).await;
    app.subscribe("gone@example.com").await;
    app.subscribe("denied@example.com").await;

    send_step(&app).await;

    let gone = row(&app, "gone@example.com").await;
    assert_eq!((gone.status.as_str(), gone.smtp_code), ("failed", Some(550)), "{gone:?}");
    // Postfix's text is kept, without the address it echoes (SECURITY.md).
    assert!(gone.last_error.contains("5.1.1 <[address]>: Recipient address rejected"), "{gone:?}");
    assert!(!gone.last_error.contains("gone@example.com"), "{gone:?}");
    let denied = row(&app, "denied@example.com").await;
    assert_eq!((denied.status.as_str(), denied.smtp_code), ("failed", Some(550)), "{denied:?}");
    assert!(denied.last_error.contains("5.7.1"), "{denied:?}");
    // Only 5.1.x says the address does not exist.
    let suppressed: Vec<String> =
        sqlx::query_scalar("select email from suppressed_addresses").fetch_all(&app.pool).await.unwrap();
    assert_eq!(suppressed, ["gone@example.com"]);
    assert!(relay.held().is_empty());
}

#[sqlx::test]
async fn a_552_after_the_data_is_a_permanent_failure(pool: PgPool) {
    let Some(relay) = Postfix::start() else { return };
    let app = spawn_app_with(pool, |s| through(&relay, Port::Submission, s)).await;
    app.subscribe("full@example.com").await;

    send_step(&app).await;

    let row = row(&app, "full@example.com").await;
    assert_eq!((row.status.as_str(), row.smtp_code, row.unknown_outcomes), ("failed", Some(552), 0), "{row:?}");
    assert!(row.last_error.contains("5.2.2"), "{row:?}");
    // Postfix read the whole message before it refused it.
    let lines = relay.wait_for_line(Port::Submission, "reject: END-OF-MESSAGE");
    assert!(lines.iter().any(|l| l.contains("END-OF-MESSAGE") && l.contains("552 5.2.2")), "{lines:#?}");
    assert_eq!(app.count("select count(*) from suppressed_addresses").await, 0);
    assert!(relay.held().is_empty());
}

#[sqlx::test]
async fn starttls_required_sends_nothing_in_the_clear_to_a_relay_without_it(pool: PgPool) {
    let Some(relay) = Postfix::start() else { return };
    // Credentials are set: a leak would show as AUTH in Postfix's counts.
    let app = spawn_app_with(pool, |s| {
        through(&relay, Port::Plain, s);
        s.sender.max_attempts = 1;
    })
    .await;
    app.subscribe("clear@example.com").await;

    let logs = send_step(&app).await;

    let first = row(&app, "clear@example.com").await;
    assert_eq!((first.status.as_str(), first.attempt, first.smtp_code), ("pending", 1, None), "{first:?}");
    assert!(first.retry_in > 0.0, "{first:?}");
    let says = "the relay does not offer STARTTLS and mail.starttls = \"required\": nothing was sent";
    assert!(first.last_error.contains(says), "{first:?}");
    let warned = |l: &str| l.contains("WARN") && l.contains("does not offer STARTTLS") && l.contains("mail.starttls");
    assert!(logs.lines().any(warned), "{logs}");
    let lines = relay.wait_for_line(Port::Plain, "ehlo=");
    let session = sessions(&lines)[0];
    assert!(session.contains("ehlo=1") && session.contains("quit=1"), "{session}");
    for command in ["auth=", "mail=", "rcpt=", "data="] {
        assert!(!session.contains(command), "{command} went out in the clear: {session}");
    }
    assert!(relay.held().is_empty());

    make_due(&app).await;
    send_step(&app).await;
    let second = row(&app, "clear@example.com").await;
    assert_eq!((second.status.as_str(), second.attempt), ("pending", 2), "past max_attempts, still waiting");
}

#[sqlx::test]
async fn a_missing_or_unusable_ca_file_stops_tend_at_start_naming_the_key(pool: PgPool) {
    let not_a_certificate = std::env::temp_dir().join(format!("tend-not-a-ca-{}.pem", std::process::id()));
    std::fs::write(&not_a_certificate, "just some text\n").unwrap();
    let cases = [
        ("/nonexistent/relay-ca.pem", "mail.ca_file: cannot read /nonexistent/relay-ca.pem"),
        (not_a_certificate.to_str().unwrap(), "holds no PEM certificate"),
    ];
    for (file, says) in cases {
        for command in ["check-config", "serve"] {
            let output = crate::helpers::tend(
                &pool,
                &[command],
                &[
                    ("TEND__MAIL__TRANSPORT", "smtp"),
                    ("TEND__MAIL__SMTP_URL", "smtp://127.0.0.1:1"),
                    ("TEND__MAIL__CA_FILE", file),
                ],
            );
            let text = crate::helpers::output_text(&output);
            assert_eq!(output.status.code(), Some(2), "{command} with {file}: {text}");
            assert!(text.contains(says), "{command}: {text}");
        }
    }
    let output = crate::helpers::tend(&pool, &["check-config"], &[("TEND__MAIL__TLS_SERVER_NAME", "relay example")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(crate::helpers::output_text(&output).contains("mail.tls_server_name"));
    std::fs::remove_file(not_a_certificate).ok();
}
