//! Limits that hold against the ways round them: many addresses of one
//! IPv6 network, and many aliases of one mailbox.

use sqlx::PgPool;

use crate::helpers::{form_for, spawn_app_with};

#[sqlx::test]
async fn distinct_addresses_of_one_ipv6_64_share_one_client_limit(pool: PgPool) {
    let app = spawn_app_with(pool, |s| {
        s.http.subscribe_per_client_per_minute = 5;
        s.http.client_ip_header = "x-real-ip".into();
    })
    .await;
    let post = |client_ip: String, n: usize| {
        let app = &app;
        async move {
            app.client
                .post(app.url("/subscribe"))
                .header("content-type", "application/x-www-form-urlencoded")
                .header("x-real-ip", client_ip)
                .body(form_for(&format!("v6-{n}@example.com")))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    // Five distinct hosts of 2001:db8:7:7::/64 use up the network's five.
    for n in 0..5 {
        assert_eq!(post(format!("2001:db8:7:7:{n:x}:{:x}::1", n * 7919), n).await, 200);
    }
    for n in 5..10 {
        let status = post(format!("2001:db8:7:7:ffff:{n:x}:{:x}:{n:x}", n * 104_729 % 0xffff), n).await;
        assert_eq!(status, 429, "host {n} of the same /64");
    }
    // The neighbouring /64 is another client, and so is an IPv4 address.
    assert_eq!(post("2001:db8:7:8::1".into(), 10).await, 200);
    assert_eq!(post("192.0.2.10".into(), 11).await, 200);
    assert_eq!(app.count("select count(*) from subscribers").await, 7, "refused requests wrote nothing");
}
