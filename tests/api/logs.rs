//! Secrets, tokens and email addresses never reach the logs, even at debug
//! level: a real `tend serve` process walks the flow while its log is
//! captured. Its mail goes to the SMTP stub, which echoes each recipient in
//! its replies and refuses a `bounce` address with Postfix's 5.1.1 wording,
//! so the relay replies tend logs and keeps are ones that name addresses.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sqlx::PgPool;
use tend::domain::{REDACTED_ADDRESS, redact_addresses};

use crate::helpers::database_url;
use crate::stub_smtp::{ReceivedMail, StubSmtpServer};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Waits (up to 10 s) for the stub to hold a mail to `to` whose text contains `needle`.
async fn mail_to(smtp: &StubSmtpServer, to: &str, needle: &str) -> ReceivedMail {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Some(mail) = smtp.received_by(to).into_iter().find(|m| m.decoded().contains(needle)) {
            return mail;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no mail to {to} containing {needle}");
}

/// Waits (up to 10 s) for a SQL count to reach `want`.
async fn count_reaches(pool: &PgPool, sql: &str, want: i64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await.unwrap() >= want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{sql} never reached {want}");
}

fn link(mail: &ReceivedMail, base: &str, path: &str) -> String {
    let text = mail.decoded();
    let start = text.find(&format!("{base}{path}")).expect("link in mail");
    text[start..].split(|c: char| c.is_whitespace() || c == '"' || c == '>').next().unwrap().to_owned()
}

#[sqlx::test]
async fn secrets_tokens_and_addresses_never_reach_the_logs(pool: PgPool) {
    let smtp = StubSmtpServer::start().await;
    let port = free_port();
    let inbound_port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let log_path = std::env::temp_dir().join(format!("tend-logs-{}-{port}.log", std::process::id()));
    let link_key = "log-test-link-key-that-must-never-be-printed-0123";
    let smtp_password = "smtp-password-that-must-never-be-printed";
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tend"))
        .arg("serve")
        .env("DATABASE_URL", database_url(&pool))
        .env("TEND__HTTP__BIND", format!("127.0.0.1:{port}"))
        .env("TEND__HTTP__PUBLIC_URL", &base)
        .env("TEND__MAIL__TRANSPORT", "smtp")
        .env("TEND__MAIL__SMTP_URL", format!("smtp://127.0.0.1:{}", smtp.port))
        .env("TEND__MAIL__STARTTLS", "none")
        .env("TEND__SECURITY__LINK_KEYS", link_key)
        .env("TEND__MAIL__SMTP_PASSWORD", smtp_password)
        .env("TEND__SENDER__POLL_INTERVAL", "100ms")
        .env("TEND__INBOUND__BIND", format!("127.0.0.1:{inbound_port}"))
        .env("TEND__INBOUND__DOMAIN", "reply.tend.test")
        .env("RUST_LOG", "debug")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let mut up = false;
    for _ in 0..100 {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "tend serve did not start");
    let form = |url: &str, body: String| {
        client.post(url).header("content-type", "application/x-www-form-urlencoded").body(body)
    };
    let (subscribe, fresh_link) = (format!("{base}/subscribe"), format!("{base}/link"));

    let (email, bounce) = ("log@example.com", "bounce-log@example.com");
    for address in [email, bounce] {
        let subscribed = form(&subscribe, format!("email={address}&timezone=UTC&time=08%3A30")).send().await;
        assert_eq!(subscribed.unwrap().status(), 200);
    }
    let mail = mail_to(&smtp, email, "/confirm/").await;
    let confirm = link(&mail, &base, "/confirm/");
    let unsubscribe = link(&mail, &base, "/unsubscribe/");
    assert_eq!(client.get(&confirm).send().await.unwrap().status(), 200);
    assert_eq!(client.post(&confirm).send().await.unwrap().status(), 200);
    let welcome = mail_to(&smtp, email, "/me/").await;
    let preferences = link(&welcome, &base, "/me/");
    assert_eq!(client.get(&preferences).send().await.unwrap().status(), 200);
    assert_eq!(form(&fresh_link, format!("email={email}")).send().await.unwrap().status(), 200);
    let fresh = mail_to(&smtp, email, "works for one day").await;
    assert_eq!(client.get(link(&fresh, &base, "/me/")).send().await.unwrap().status(), 200);
    assert_eq!(form(&preferences, "action=sign_out_links".into()).send().await.unwrap().status(), 200);
    assert_eq!(client.get(&preferences).send().await.unwrap().status(), 410);
    assert_eq!(client.get(format!("{base}/confirm/forged-token")).send().await.unwrap().status(), 404);
    let addresses = mail_back(&pool, inbound_port, link_key).await;
    assert_eq!(client.post(&unsubscribe).body("List-Unsubscribe=One-Click").send().await.unwrap().status(), 200);
    // The relay refused the bounce address for good (5.1.1), naming it.
    count_reaches(&pool, "select count(*) from suppressed_addresses", 1).await;

    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "graceful stop exits 0");

    let mut logs = String::new();
    std::fs::File::open(&log_path).unwrap().read_to_string(&mut logs).unwrap();
    assert!(logs.contains("request done"), "the log was captured: {logs}");
    assert!(logs.contains("permanent failure"), "the relay's refusal was logged: {logs}");
    for secret in [link_key, smtp_password] {
        assert!(!logs.contains(secret), "a secret leaked into the logs");
    }
    for token in [&confirm, &unsubscribe, &preferences] {
        let token = token.rsplit('/').next().unwrap();
        assert!(!logs.contains(token), "a link token leaked into the logs");
    }
    assert!(!logs.contains("forged-token"), "URIs are not logged");
    assert!(logs.contains("a reply came in") && logs.contains("refused a recipient"), "inbound mail was logged");
    for address in addresses.iter().map(String::as_str).chain(["stranger@example.com"]) {
        assert!(!logs.to_lowercase().contains(&address.to_lowercase()), "an address leaked into the logs: {address}");
    }
    for line in logs.lines() {
        assert_eq!(redact_addresses(line), line, "an address reached the log: {line}");
    }
    for address in [email, bounce, "example.com"] {
        assert!(!logs.contains(address), "{address} reached the log");
    }
    // What tend keeps of the relay's replies names no address either.
    let kept: Vec<String> = sqlx::query_scalar(
        "select last_error from deliveries where last_error is not null
         union all select reason from suppressed_addresses",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(kept.iter().any(|r| r.contains("5.1.1") && r.contains(REDACTED_ADDRESS)), "{kept:?}");
    assert!(kept.iter().any(|r| r.contains("queued") && r.contains(REDACTED_ADDRESS)), "{kept:?}");
    assert!(kept.iter().all(|r| redact_addresses(r) == *r && !r.contains("example.com")), "{kept:?}");
    std::fs::remove_file(&log_path).ok();
}

/// Mail to the listener of the `tend serve` above: a stranger's reply to the
/// confirmation's reply address, a DSN to its bounce address, a forged
/// recipient. Returns the addresses used, which must not be logged.
async fn mail_back(pool: &PgPool, port: u16, link_key: &str) -> Vec<String> {
    use tend::domain::{AddressKind, InboundDomain, LinkGeneration, LinkSigner};

    use crate::inbound::client::{Client, Envelope};
    use crate::inbound::{DSN, PLAIN, fill};

    let (id, slot, generation): (i64, chrono::DateTime<chrono::Utc>, i32) = sqlx::query_as(
        "select d.id, d.slot, s.link_generation from deliveries d join subscribers s on s.id = d.subscriber_id
         where d.kind = 'confirm' and s.email = 'log@example.com'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let signer = LinkSigner::new(&[link_key.to_owned().into()]).unwrap();
    let domain = InboundDomain::parse("reply.tend.test").unwrap();
    let (expires, generation) = (slot + chrono::Duration::days(14), LinkGeneration::from_stored(generation).unwrap());
    let reply_to = signer.sign_address(AddressKind::Reply, id, generation, expires, &domain);
    let bounce = signer.sign_address(AddressKind::Bounce, id, generation, expires, &domain);
    let sent = [
        ("stranger@example.com", &reply_to, fill(PLAIN, "stranger@example.com", &reply_to, "Done")),
        ("", &bounce, fill(DSN, "log@example.com", &bounce, "").replace("5.1.1", "4.2.2").replace("failed", "delayed")),
    ];
    for (from, to, message) in &sent {
        let mut client = Client::connect(port).await;
        assert!(client.send(&Envelope { from, to: &[to.as_str()], message }).await.starts_with("250"));
        client.quit().await;
    }
    let forged = format!("r-{}@reply.tend.test", "a".repeat(60));
    let mut client = Client::connect(port).await;
    client.command("EHLO client.example.com").await;
    client.command("MAIL FROM:<stranger@example.com>").await;
    assert!(client.command(&format!("RCPT TO:<{forged}>")).await.starts_with("550"));
    client.quit().await;
    vec![reply_to, bounce, forged]
}
