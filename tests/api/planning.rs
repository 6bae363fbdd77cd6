//! The planning sweep at scale: two instances sweeping one due population at
//! once, and `schedule.plan_workers` ranges over ids with gaps, each plan
//! every due track exactly once.

use std::sync::Arc;

use sqlx::PgPool;
use tokio::sync::Barrier;

use crate::helpers::{TestApp, spawn_app_with};

/// `n` active subscribers with three tracks each, all due ten minutes ago,
/// up to three nudges a day (so every due track is sent, none moves on).
async fn seed_due(pool: &PgPool, n: i64) {
    sqlx::query(
        r#"insert into subscribers (email, mailbox, timezone, send_time, status, confirmed_at, max_per_day)
           select 'plan' || g || '@example.com', 'plan' || g || '@example.com',
                  (array['Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'UTC'])[1 + g % 4],
                  time '06:00' + (g % 900) * interval '1 minute', 'active', now(), 3
           from generate_series(1, $1) g"#,
    )
    .bind(n)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        r#"insert into subscriber_tracks (subscriber_id, track, interval_days, next_due_at)
           select s.id, t.track, t.days, now() - interval '10 minutes'
           from subscribers s
           cross join (values ('check-in', 3), ('follow-through', 1), ('transparency', 1)) t(track, days)"#,
    )
    .execute(pool)
    .await
    .unwrap();
}

/// Fails unless every track has exactly one nudge, none is left due, and
/// every track's next slot moved past its nudge.
async fn assert_every_track_planned_once(pool: &PgPool, tracks: i64) {
    let nudges: i64 =
        sqlx::query_scalar("select count(*) from deliveries where kind = 'nudge'").fetch_one(pool).await.unwrap();
    assert_eq!(nudges, tracks, "one nudge per due track");
    let not_once: i64 = sqlx::query_scalar(
        r#"select count(*) from subscriber_tracks t
           where (select count(*) from deliveries d
                  where d.subscriber_id = t.subscriber_id and d.track = t.track and d.kind = 'nudge') <> 1"#,
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(not_once, 0, "tracks without exactly one nudge");
    let unmoved: i64 = sqlx::query_scalar(
        r#"select count(*) from subscriber_tracks t
           where t.next_due_at <= now() or t.last_variant is null
              or exists (select 1 from deliveries d where d.subscriber_id = t.subscriber_id
                         and d.track = t.track and (d.answer_by <> t.next_due_at or d.variant <> t.last_variant))"#,
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(unmoved, 0, "tracks left due, or moved without their nudge");
}

async fn instance(pool: &PgPool, workers: usize, batch: i64) -> TestApp {
    spawn_app_with(pool.clone(), |s| {
        s.schedule.plan_workers = workers;
        s.schedule.plan_batch = batch;
    })
    .await
}

#[sqlx::test]
async fn two_instances_sweeping_at_once_plan_every_due_track_exactly_once(pool: PgPool) {
    let subscribers = 3_000;
    seed_due(&pool, subscribers).await;
    // Different range splits and batch sizes, so the two sweeps overlap
    // everywhere instead of each finding its own ranges.
    let (a, b) = (instance(&pool, 2, 40).await, instance(&pool, 3, 25).await);
    let start = Arc::new(Barrier::new(2));
    let sweep = |app: &TestApp| {
        let (planner, start) = (app.planner.clone(), start.clone());
        tokio::spawn(async move {
            start.wait().await;
            planner.plan_due().await.expect("planning sweep")
        })
    };
    let (first, second) = (sweep(&a), sweep(&b));
    let (first, second) = (first.await.unwrap(), second.await.unwrap());

    assert_eq!(first.subscribers + second.subscribers, subscribers as usize, "each subscriber planned by one sweep");
    assert_eq!(first.nudges_queued + second.nudges_queued, 3 * subscribers as u64);
    assert!(first.subscribers > 0 && second.subscribers > 0, "both sweeps took part: {first:?} {second:?}");
    assert_every_track_planned_once(&pool, 3 * subscribers).await;
    assert_eq!(a.plan().await.nudges_queued, 0, "a later sweep finds nothing due");
}

#[sqlx::test]
async fn plan_workers_cover_every_subscriber_across_gaps_and_empty_ranges(pool: PgPool) {
    seed_due(&pool, 60).await;
    // Keep the 1st-3rd, 30th and 58th-60th: of four ranges over their ids the second
    // holds only id 30 and the third none at all.
    sqlx::query(
        r#"delete from subscribers where id not in
           (select id from (select id, row_number() over (order by id) as n from subscribers) r
            where n in (1, 2, 3, 30, 58, 59, 60))"#,
    )
    .execute(&pool)
    .await
    .unwrap();
    let app = instance(&pool, 4, 2).await;
    let report = app.plan().await;
    assert_eq!(report.subscribers, 7);
    assert_eq!(report.nudges_queued, 21);
    assert_every_track_planned_once(&pool, 21).await;

    // More workers than subscribers: most ranges are empty.
    sqlx::query("delete from deliveries").execute(&pool).await.unwrap();
    sqlx::query("update subscriber_tracks set next_due_at = now() - interval '10 minutes', last_variant = null")
        .execute(&pool)
        .await
        .unwrap();
    let app = instance(&pool, 10, 500).await;
    assert_eq!(app.plan().await.subscribers, 7);
    assert_every_track_planned_once(&pool, 21).await;
}
