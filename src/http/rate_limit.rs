//! A per-client limit on subscribe requests, so that one client cannot make
//! tend mail thousands of strangers. It is in memory (per instance): the
//! per-address limit on confirmation mails lives in PostgreSQL and holds
//! across instances; this one only has to stop a flood early and cheaply.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;

const WINDOW: Duration = Duration::from_secs(60);
/// Above this many tracked clients, expired windows are swept out so memory
/// stays bounded under a spoofed-address flood.
const SWEEP_ABOVE: usize = 10_000;

pub struct RateLimiter {
    per_window: u32,
    windows: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl RateLimiter {
    pub fn per_minute(per_window: u32) -> Self {
        Self { per_window, windows: Mutex::new(HashMap::new()) }
    }

    /// Counts one request; `Err(retry_after)` once the client is over its limit.
    pub fn check(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let mut windows = self.windows.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if windows.len() > SWEEP_ABOVE {
            windows.retain(|_, (started, _)| now.duration_since(*started) < WINDOW);
        }
        let (started, count) = windows.entry(client).or_insert((now, 0));
        if now.duration_since(*started) >= WINDOW {
            (*started, *count) = (now, 0);
        }
        *count += 1;
        if *count > self.per_window { Err(WINDOW.saturating_sub(now.duration_since(*started))) } else { Ok(()) }
    }
}

/// The client's address: the trusted proxy header if configured and valid,
/// otherwise the connection's peer.
pub fn client_ip(headers: &HeaderMap, peer: SocketAddr, trusted_header: &str) -> IpAddr {
    if trusted_header.is_empty() {
        return peer.ip();
    }
    headers
        .get(trusted_header)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next_back())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(peer.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_gets_its_quota_per_window_and_others_are_unaffected() {
        let limiter = RateLimiter::per_minute(3);
        let (a, b) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check(a, t0).is_ok());
        }
        let retry = limiter.check(a, t0 + Duration::from_secs(20)).unwrap_err();
        assert_eq!(retry, Duration::from_secs(40));
        assert!(limiter.check(b, t0).is_ok());
        assert!(limiter.check(a, t0 + WINDOW).is_ok(), "a new window starts afresh");
    }

    #[test]
    fn the_proxy_header_is_used_only_when_trusted() {
        let mut headers = HeaderMap::new();
        headers.insert("x-real-ip", "203.0.113.9".parse().unwrap());
        let peer: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        assert_eq!(client_ip(&headers, peer, ""), peer.ip());
        assert_eq!(client_ip(&headers, peer, "x-real-ip"), "203.0.113.9".parse::<IpAddr>().unwrap());
        headers.insert("x-real-ip", "garbage".parse().unwrap());
        assert_eq!(client_ip(&headers, peer, "x-real-ip"), peer.ip());
    }
}
