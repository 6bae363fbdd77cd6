//! Secrets and tokens never reach the logs, even at debug level: a real
//! `tend serve` process walks the flow while its log is captured.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

use sqlx::PgPool;

use crate::helpers::database_url;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Waits for the first `.json` outbox entry whose text contains `needle`.
async fn outbox_text(dir: &std::path::Path, needle: &str) -> String {
    for _ in 0..100 {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            if entry.path().extension().is_some_and(|e| e == "json") {
                let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
                if text.contains(needle) {
                    return text;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no outbox mail containing {needle}");
}

fn link(text: &str, base: &str, path: &str) -> String {
    let start = text.find(&format!("{base}{path}")).expect("link in mail");
    text[start..].split(|c: char| c.is_whitespace() || c == '"' || c == '\\').next().unwrap().to_owned()
}

#[sqlx::test]
async fn secrets_and_tokens_never_reach_the_logs(pool: PgPool) {
    let port = free_port();
    let inbound_port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let outbox = std::env::temp_dir().join(format!("tend-logs-{}-{port}", std::process::id()));
    let log_path = outbox.with_extension("log");
    let link_key = "log-test-link-key-that-must-never-be-printed-0123";
    let smtp_password = "smtp-password-that-must-never-be-printed";
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tend"))
        .arg("serve")
        .env("DATABASE_URL", database_url(&pool))
        .env("TEND__HTTP__BIND", format!("127.0.0.1:{port}"))
        .env("TEND__HTTP__PUBLIC_URL", &base)
        .env("TEND__MAIL__OUTBOX_DIR", &outbox)
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

    let form = "email=log%40example.com&timezone=UTC&time=08%3A30";
    let subscribed = client
        .post(format!("{base}/subscribe"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(subscribed.status(), 200);
    let mail = outbox_text(&outbox, "/confirm/").await;
    let confirm = link(&mail, &base, "/confirm/");
    let unsubscribe = link(&mail, &base, "/unsubscribe/");
    assert_eq!(client.get(&confirm).send().await.unwrap().status(), 200);
    assert_eq!(client.post(&confirm).send().await.unwrap().status(), 200);
    assert_eq!(client.get(format!("{base}/confirm/forged-token")).send().await.unwrap().status(), 404);
    let addresses = mail_back(&pool, inbound_port, link_key).await;
    assert_eq!(client.post(&unsubscribe).body("List-Unsubscribe=One-Click").send().await.unwrap().status(), 200);

    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "graceful stop exits 0");

    let mut logs = String::new();
    std::fs::File::open(&log_path).unwrap().read_to_string(&mut logs).unwrap();
    assert!(logs.contains("request done"), "the log was captured: {logs}");
    for secret in [link_key, smtp_password] {
        assert!(!logs.contains(secret), "a secret leaked into the logs");
    }
    for token in [&confirm, &unsubscribe] {
        let token = token.rsplit('/').next().unwrap();
        assert!(!logs.contains(token), "a link token leaked into the logs");
    }
    assert!(!logs.contains("forged-token"), "URIs are not logged");
    assert!(logs.contains("a reply came in") && logs.contains("refused a recipient"), "inbound mail was logged");
    for address in addresses.iter().map(String::as_str).chain(["log@example.com", "stranger@example.com"]) {
        assert!(!logs.to_lowercase().contains(&address.to_lowercase()), "an address leaked into the logs: {address}");
    }
    std::fs::remove_dir_all(&outbox).ok();
    std::fs::remove_file(&log_path).ok();
}

/// Mail to the listener of the `tend serve` above: a stranger's reply to the
/// confirmation's reply address, a DSN to its bounce address, a forged
/// recipient. Returns the addresses used, which must not be logged.
async fn mail_back(pool: &PgPool, port: u16, link_key: &str) -> Vec<String> {
    use tend::domain::{AddressKind, InboundDomain, LinkSigner};

    use crate::inbound::client::{Client, Envelope};
    use crate::inbound::{DSN, PLAIN, fill};

    let (id, slot): (i64, chrono::DateTime<chrono::Utc>) =
        sqlx::query_as("select id, slot from deliveries where kind = 'confirm'").fetch_one(pool).await.unwrap();
    let signer = LinkSigner::new(&[link_key.to_owned().into()]).unwrap();
    let domain = InboundDomain::parse("reply.tend.test").unwrap();
    let expires = slot + chrono::Duration::days(14);
    let reply_to = signer.sign_address(AddressKind::Reply, id, expires, &domain);
    let bounce = signer.sign_address(AddressKind::Bounce, id, expires, &domain);
    let sent = [
        ("stranger@example.com", &reply_to, fill(PLAIN, "stranger@example.com", &reply_to, "Done")),
        ("", &bounce, fill(DSN, "log@example.com", &bounce, "").replace("5.1.1", "4.2.2").replace("failed", "delayed")),
    ];
    for (from, to, message) in &sent {
        let mut client = Client::connect(port).await;
        assert!(client.send(&Envelope { from, to: &[to.as_str()], message }).await.starts_with("250"));
        client.quit().await;
    }
    let forged = format!("r-{}@reply.tend.test", "a".repeat(53));
    let mut client = Client::connect(port).await;
    client.command("EHLO client.example.com").await;
    client.command("MAIL FROM:<stranger@example.com>").await;
    assert!(client.command(&format!("RCPT TO:<{forged}>")).await.starts_with("550"));
    client.quit().await;
    vec![reply_to, bounce, forged]
}
