//! The sender's queue (`delivery_queue`): a claim writes only the narrow
//! queue row, an outcome removes it and settles the delivery in the same
//! statement, and writers outside the sender keep the queue right through the
//! database's triggers.

use chrono::Duration;
use sqlx::PgPool;
use tend::store::deliveries::{self, Fence, Retry};

use crate::helpers::{TestApp, spawn_app};

/// (status, attempt, owner) of the one delivery.
async fn delivery(app: &TestApp) -> (String, i32, Option<String>) {
    sqlx::query_as("select status, attempt, owner from deliveries").fetch_one(&app.pool).await.unwrap()
}

/// (attempt, owner, due now) of the one queue row, if there is one.
async fn queue_row(app: &TestApp) -> Option<(i32, Option<String>, bool)> {
    sqlx::query_as("select attempt, owner, due_at <= now() from delivery_queue")
        .fetch_optional(&app.pool)
        .await
        .unwrap()
}

#[sqlx::test]
async fn the_queue_follows_every_step_of_a_delivery(pool: PgPool) {
    let app = spawn_app(pool).await;
    let lease = Duration::seconds(60);

    // Queued: a pending delivery has an unowned queue row, due now.
    app.subscribe("queue@example.com").await;
    assert_eq!(delivery(&app).await, ("pending".into(), 0, None));
    assert_eq!(queue_row(&app).await, Some((0, None, true)));

    // Claimed: only the queue row changes.
    let claimed = deliveries::claim_due(&app.pool, "w1", 10, lease).await.unwrap();
    assert_eq!((claimed.len(), claimed[0].attempt()), (1, 1));
    assert_eq!(delivery(&app).await, ("pending".into(), 0, None));
    assert_eq!(queue_row(&app).await, Some((1, Some("w1".into()), true)));
    assert!(deliveries::claim_due(&app.pool, "w2", 10, lease).await.unwrap().is_empty());

    // A retry: unowned again, due later; the delivery counts the attempt.
    let fence = Fence { id: claimed[0].id(), attempt: 1, owner: "w1" };
    let retry =
        Retry { delay: Duration::hours(1), stale_after: None, code: Some(451), error: "busy", unknown_outcome: false };
    assert!(deliveries::retry_later(&app.pool, fence, retry).await.unwrap());
    assert_eq!(delivery(&app).await, ("pending".into(), 1, Some("w1".into())));
    assert_eq!(queue_row(&app).await, Some((1, None, false)));
    assert!(deliveries::claim_due(&app.pool, "w2", 10, lease).await.unwrap().is_empty());

    // Due again, claimed by another sender, sent: the queue row goes.
    sqlx::query("update deliveries set due_at = now()").execute(&app.pool).await.unwrap();
    assert_eq!(queue_row(&app).await, Some((1, None, true)));
    let again = deliveries::claim_due(&app.pool, "w2", 10, lease).await.unwrap();
    assert_eq!(again[0].attempt(), 2);
    assert!(!deliveries::mark_sent(&app.pool, fence, 250, "late").await.unwrap());
    let fence = Fence { id: again[0].id(), attempt: 2, owner: "w2" };
    assert!(deliveries::mark_sent(&app.pool, fence, 250, "ok").await.unwrap());
    assert_eq!(delivery(&app).await, ("sent".into(), 2, Some("w2".into())));
    assert_eq!(queue_row(&app).await, None);
}

#[sqlx::test]
async fn shutdown_release_gives_the_attempt_back_and_the_row_is_claimable_at_once(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.subscribe("release@example.com").await;
    let claimed = deliveries::claim_due(&app.pool, "w1", 10, Duration::seconds(60)).await.unwrap();
    let held = [(claimed[0].id(), claimed[0].attempt())];
    assert_eq!(deliveries::release_many(&app.pool, "w1", &held).await.unwrap(), 1);
    assert_eq!(queue_row(&app).await, Some((0, None, true)));
    let again = deliveries::claim_due(&app.pool, "w2", 10, Duration::seconds(60)).await.unwrap();
    assert_eq!(again[0].attempt(), 1);
}

#[sqlx::test]
async fn unsubscribing_cancels_unclaimed_mail_and_leaves_a_claimed_one_to_its_sender(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.subscribe("first@example.com").await;
    let claimed = deliveries::claim_due(&app.pool, "w1", 10, Duration::seconds(60)).await.unwrap();
    let subscriber_id: i64 =
        sqlx::query_scalar("select subscriber_id from deliveries").fetch_one(&app.pool).await.unwrap();
    // A second mail for the same subscriber, not yet claimed.
    sqlx::query("insert into deliveries (subscriber_id, kind, slot, due_at) values ($1, 'test', now(), now())")
        .bind(subscriber_id)
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(app.count("select count(*) from delivery_queue").await, 2);

    let mut conn = app.pool.acquire().await.unwrap();
    assert_eq!(deliveries::cancel_pending(&mut conn, subscriber_id).await.unwrap(), 1);

    assert_eq!(app.count("select count(*) from deliveries where status = 'cancelled' and kind = 'test'").await, 1);
    assert_eq!(app.count("select count(*) from delivery_queue").await, 1);
    let fence = Fence { id: claimed[0].id(), attempt: claimed[0].attempt(), owner: "w1" };
    assert!(deliveries::mark_sent(&app.pool, fence, 250, "ok").await.unwrap());
    assert_eq!(app.count("select count(*) from delivery_queue").await, 0);
}

#[sqlx::test]
async fn an_expired_lease_is_rescued_through_the_queue_and_the_old_fence_fails(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.subscribe("rescue@example.com").await;
    let claimed = deliveries::claim_due(&app.pool, "w1", 10, Duration::seconds(60)).await.unwrap();
    sqlx::query("update delivery_queue set lease_expires_at = now() - interval '1 second'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(deliveries::rescue_expired_leases(&app.pool).await.unwrap(), 1);
    assert_eq!(queue_row(&app).await, Some((1, None, true)));
    let last_error: Option<String> =
        sqlx::query_scalar("select last_error from deliveries").fetch_one(&app.pool).await.unwrap();
    assert_eq!(last_error.as_deref(), Some("lease expired; claimed again"));
    let stale = Fence { id: claimed[0].id(), attempt: 1, owner: "w1" };
    assert!(!deliveries::cancel_claimed(&app.pool, stale, "late").await.unwrap());
    assert_eq!(delivery(&app).await.0, "pending");
}
