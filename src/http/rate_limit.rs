//! A per-client limit on subscribe requests, so that one client cannot make
//! tend mail thousands of strangers. It is in memory (per instance): the
//! per-mailbox limit on confirmation mails lives in PostgreSQL and holds
//! across instances; this one only has to stop a flood early and cheaply.
//!
//! A client is an IPv4 address or an IPv6 /64: one IPv6 network hands its
//! hosts 2^64 addresses, so the whole /64 counts as one client (an
//! IPv4-mapped IPv6 address counts as its IPv4 address).
//!
//! Memory is fixed: `http.rate_limit_clients` slots, allocated at start, in
//! [`SHARDS`] shards with a lock each. A request hashes its client (with a
//! per-process random key, so nobody can aim many clients at one shard),
//! locks one shard and looks at most [`PROBE`] slots. Nothing ever sweeps
//! the table or grows it. When every slot a client may use is taken by a
//! live window, the one with the fewest requests is reused: that client
//! starts afresh, which can only happen while more clients than slots are
//! active within one minute, and then it is one of those that made the
//! fewest requests.

use std::hash::{BuildHasher, RandomState};
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;

const WINDOW: Duration = Duration::from_secs(60);
/// Independent locks: concurrent requests rarely meet on one.
const SHARDS: usize = 64;
/// Slots one client may occupy, looked at in order from its hash.
const PROBE: usize = 8;

/// One client's window. `started` is in seconds since the limiter was
/// made, plus one: 0 marks an empty slot.
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    client: [u64; 2],
    started: u32,
    count: u32,
}

pub struct RateLimiter {
    per_window: u32,
    epoch: Instant,
    hasher: RandomState,
    shards: Box<[Mutex<Box<[Slot]>>]>,
}

impl RateLimiter {
    /// `per_window` requests a minute per client, `capacity` clients at once.
    pub fn per_minute(per_window: u32, capacity: usize) -> Self {
        let per_shard = capacity.div_ceil(SHARDS).max(PROBE);
        let shards = (0..SHARDS).map(|_| Mutex::new(vec![Slot::default(); per_shard].into_boxed_slice())).collect();
        Self { per_window, epoch: Instant::now(), hasher: RandomState::new(), shards }
    }

    /// Slots in the table: fixed for the limiter's life.
    #[cfg(test)]
    fn capacity(&self) -> usize {
        SHARDS * self.shards[0].lock().unwrap_or_else(|poisoned| poisoned.into_inner()).len()
    }

    /// Counts one request; `Err(retry_after)` once the client is over its limit.
    pub fn check(&self, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        let client = client_key(ip);
        let hash = self.hasher.hash_one(client);
        let now_s = u32::try_from(now.saturating_duration_since(self.epoch).as_secs()).unwrap_or(u32::MAX - 1) + 1;
        let mut shard = self.shards[hash as usize % SHARDS].lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let slot = find_slot(&mut shard, (hash >> 32) as usize, client, now_s);
        if slot.client != client || expired(slot, now_s) {
            *slot = Slot { client, started: now_s, count: 0 };
        }
        slot.count = slot.count.saturating_add(1);
        if slot.count <= self.per_window {
            return Ok(());
        }
        let elapsed = Duration::from_secs(u64::from(now_s.saturating_sub(slot.started)));
        Err(WINDOW.saturating_sub(elapsed).max(Duration::from_secs(1)))
    }
}

/// The client's own slot if it has one; else the first empty or expired
/// slot; else the live one with the fewest requests (a flood of one-off
/// clients replaces its own kind, not a client that keeps coming back),
/// the oldest of those.
fn find_slot(shard: &mut [Slot], start: usize, client: [u64; 2], now_s: u32) -> &mut Slot {
    let len = shard.len();
    let indexes = (0..PROBE).map(|i| (start + i) % len);
    let own = indexes.clone().find(|&i| shard[i].started != 0 && shard[i].client == client);
    let reuse = || {
        indexes.clone().min_by_key(|&i| {
            let slot = &shard[i];
            let free = slot.started == 0 || expired(slot, now_s);
            (!free, if free { 0 } else { slot.count }, slot.started)
        })
    };
    let index = own.or_else(reuse).unwrap_or(start % len);
    &mut shard[index]
}

fn expired(slot: &Slot, now_s: u32) -> bool {
    u64::from(now_s.saturating_sub(slot.started)) >= WINDOW.as_secs()
}

/// IPv4 addresses (and IPv4-mapped IPv6 ones) whole; IPv6 by their /64.
fn client_key(ip: IpAddr) -> [u64; 2] {
    match ip {
        IpAddr::V4(v4) => [0, u64::from(u32::from(v4))],
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => [0, u64::from(u32::from(v4))],
            // The network half, and a second word no IPv4 key can have.
            None => [(u128::from(v6) >> 64) as u64, 1 << 63],
        },
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

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn a_client_gets_its_quota_per_window_and_others_are_unaffected() {
        let limiter = RateLimiter::per_minute(3, 1024);
        let (a, b) = (ip("10.0.0.1"), ip("10.0.0.2"));
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
    fn an_ipv6_64_is_one_client_and_a_mapped_ipv4_address_is_its_ipv4_address() {
        let limiter = RateLimiter::per_minute(2, 1024);
        let t0 = Instant::now();
        assert!(limiter.check(ip("2001:db8:1:2::1"), t0).is_ok());
        assert!(limiter.check(ip("2001:db8:1:2:ffff:ffff:ffff:ffff"), t0).is_ok());
        assert!(limiter.check(ip("2001:db8:1:2:abcd::9"), t0).is_err(), "the same /64");
        assert!(limiter.check(ip("2001:db8:1:3::1"), t0).is_ok(), "the next /64 is another client");
        assert!(limiter.check(ip("192.0.2.7"), t0).is_ok());
        assert!(limiter.check(ip("::ffff:192.0.2.7"), t0).is_ok());
        assert!(limiter.check(ip("192.0.2.7"), t0).is_err());
        assert_ne!(client_key(ip("::c000:207")), client_key(ip("192.0.2.7")));
    }

    #[test]
    fn a_flood_of_one_off_clients_neither_grows_the_table_nor_frees_a_client_over_its_limit() {
        // 100,000 distinct clients in one minute through a table a tenth that size.
        let limiter = RateLimiter::per_minute(5, 10_000);
        let capacity = limiter.capacity();
        let t0 = Instant::now();
        let busy: Vec<IpAddr> = (1..=50).map(|i| IpAddr::V4([198, 51, 100, i].into())).collect();
        for client in &busy {
            for _ in 0..5 {
                limiter.check(*client, t0).unwrap();
            }
        }
        for i in 0..100_000u32 {
            let now = t0 + Duration::from_micros(u64::from(i) * 500);
            assert!(limiter.check(IpAddr::V4((0x0a00_0000 + i).into()), now).is_ok(), "a new client");
        }
        assert_eq!(limiter.capacity(), capacity, "the table never grows");
        let later = t0 + Duration::from_secs(55);
        for client in &busy {
            assert!(limiter.check(*client, later).is_err(), "{client} is still over its limit");
        }
        assert!(limiter.check(busy[0], t0 + WINDOW).is_ok(), "until its minute is over");
    }

    #[test]
    fn the_proxy_header_is_used_only_when_trusted() {
        let mut headers = HeaderMap::new();
        headers.insert("x-real-ip", "203.0.113.9".parse().unwrap());
        let peer: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        assert_eq!(client_ip(&headers, peer, ""), peer.ip());
        assert_eq!(client_ip(&headers, peer, "x-real-ip"), ip("203.0.113.9"));
        headers.insert("x-real-ip", "garbage".parse().unwrap());
        assert_eq!(client_ip(&headers, peer, "x-real-ip"), peer.ip());
    }
}
