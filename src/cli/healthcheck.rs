//! `tend healthcheck [--ready]`: asks a running `tend serve` whether it is up.
//!
//! For container health checks and probes, so the runtime image needs no
//! curl: one HTTP/1.0 `GET /healthz` (or `/readyz`) to the configured
//! `http.bind`, with a short timeout. A wildcard bind address (`0.0.0.0`,
//! `::`) is reached over loopback. Exit status 0 means a 200 answer.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use anyhow::Context;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const TIMEOUT: Duration = Duration::from_secs(3);

pub async fn run(bind: SocketAddr, ready: bool) -> anyhow::Result<()> {
    let target = loopback_for(bind);
    let path = if ready { "/readyz" } else { "/healthz" };
    let status = tokio::time::timeout(TIMEOUT, get(target, path))
        .await
        .with_context(|| format!("no answer from http://{target}{path} within {}s", TIMEOUT.as_secs()))??;
    anyhow::ensure!(status.starts_with("HTTP/1.1 200") || status.starts_with("HTTP/1.0 200"), "{path}: {status}");
    println!("{path}: {status}");
    Ok(())
}

/// The status line of `GET path`.
async fn get(target: SocketAddr, path: &str) -> anyhow::Result<String> {
    let mut stream =
        TcpStream::connect(target).await.with_context(|| format!("cannot connect to http://{target}{path}"))?;
    let request = format!("GET {path} HTTP/1.0\r\nHost: {target}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.context("failed to send the health request")?;
    let mut head = vec![0; 256];
    let mut read = 0;
    while read < head.len() && !head[..read].contains(&b'\n') {
        match stream.read(&mut head[read..]).await.context("failed to read the health answer")? {
            0 => break,
            n => read += n,
        }
    }
    let text = String::from_utf8_lossy(&head[..read]);
    Ok(text.lines().next().unwrap_or_default().trim().to_owned())
}

fn loopback_for(bind: SocketAddr) -> SocketAddr {
    let ip = match bind.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, bind.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_binds_are_reached_over_loopback() {
        assert_eq!(loopback_for("0.0.0.0:8080".parse().unwrap()), "127.0.0.1:8080".parse().unwrap());
        assert_eq!(loopback_for("[::]:80".parse().unwrap()), "[::1]:80".parse().unwrap());
        assert_eq!(loopback_for("10.1.2.3:9".parse().unwrap()), "10.1.2.3:9".parse().unwrap());
    }
}
