//! Slow clients cannot hold the server: headers must arrive within
//! `http.header_timeout`, a body within `http.body_timeout`, and at most
//! `http.max_connections` connections are served at once. The sleeps here
//! are the slow client's own pace, the behaviour under test, never a wait
//! for the server to get somewhere.

use std::time::{Duration, Instant};

use sqlx::PgPool;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{TendServe, spawn_app_with};

/// Reads until the server closes the connection; what it sent and when.
async fn read_until_closed(reader: &mut (impl AsyncReadExt + Unpin), started: Instant) -> (String, Duration) {
    let mut received = Vec::new();
    let mut buffer = [0u8; 1024];
    loop {
        match tokio::time::timeout(Duration::from_secs(30), reader.read(&mut buffer)).await {
            Ok(Ok(0) | Err(_)) => return (String::from_utf8_lossy(&received).into_owned(), started.elapsed()),
            Ok(Ok(n)) => received.extend_from_slice(&buffer[..n]),
            Err(_) => panic!("the server kept the connection open for 30 s"),
        }
    }
}

#[sqlx::test]
async fn a_connection_sending_a_header_byte_a_second_is_closed_after_the_header_timeout_while_others_are_served(
    pool: PgPool,
) {
    let serve = TendServe::start(&pool, &[("TEND__HTTP__HEADER_TIMEOUT", "2s")]).await;
    let address = serve.base.trim_start_matches("http://").to_owned();
    let stream = TcpStream::connect(&address).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let started = Instant::now();
    let trickle = tokio::spawn(async move {
        for byte in b"GET /healthz HTTP/1.1\r\nHost: tend.example\r\nX-Slow: ".iter().cycle() {
            if writer.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
    // While the slow client trickles, another one is answered at once.
    let quick = Instant::now();
    let response = reqwest::get(format!("{}/healthz", serve.base)).await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(quick.elapsed() < Duration::from_secs(1), "{:?}", quick.elapsed());

    let (_, closed_after) = read_until_closed(&mut reader, started).await;
    trickle.abort();
    assert!(
        closed_after >= Duration::from_millis(1900) && closed_after < Duration::from_secs(4),
        "closed after {closed_after:?}, header_timeout is 2s"
    );
    assert_eq!(reqwest::get(format!("{}/healthz", serve.base)).await.unwrap().status(), 200);
}

#[sqlx::test]
async fn a_body_that_does_not_arrive_within_the_body_timeout_gets_408_and_writes_nothing(pool: PgPool) {
    let app = spawn_app_with(pool, |s| s.http.body_timeout = tend::config::Duration::parse("2s").unwrap()).await;
    let mut stream = TcpStream::connect(app.address.trim_start_matches("http://")).await.unwrap();
    let started = Instant::now();
    let head = "POST /subscribe HTTP/1.1\r\nHost: tend.example\r\nContent-Type: application/x-www-form-urlencoded\r\n\
                Content-Length: 200\r\n\r\nemail=slow%40example.com";
    stream.write_all(head.as_bytes()).await.unwrap();
    let (answer, after) = read_until_closed(&mut stream, started).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(after >= Duration::from_millis(1900) && after < Duration::from_secs(4), "{after:?}");
    assert_eq!(app.snapshot().await, [0, 0, 0, 0]);
}

#[sqlx::test]
async fn past_max_connections_a_client_waits_until_a_slot_frees(pool: PgPool) {
    let app = spawn_app_with(pool, |s| {
        s.http.max_connections = 1;
        s.http.header_timeout = tend::config::Duration::parse("2s").unwrap();
    })
    .await;
    // Takes the only slot and says nothing.
    let idle = TcpStream::connect(app.address.trim_start_matches("http://")).await.unwrap();
    let started = Instant::now();
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 200);
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(1800) && waited < Duration::from_secs(4), "{waited:?}");
    drop(idle);
}
