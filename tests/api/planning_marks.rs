//! The planning marks: no index covers a track's next slot, so the planner
//! finds due subscribers through `planning_marks`, which must never be later
//! than a subscriber's earliest enabled slot. A writer that moves a track
//! earlier lowers the mark (a trigger); the planner sets the marks of every
//! subscriber it looks at.

use sqlx::PgPool;

use crate::helpers::spawn_app;
use crate::planning::seed_due;

async fn mark(pool: &PgPool, subscriber_id: i64) -> String {
    sqlx::query_scalar("select due_at::text from planning_marks where subscriber_id = $1")
        .bind(subscriber_id)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn earliest_slot(pool: &PgPool, subscriber_id: i64) -> String {
    sqlx::query_scalar("select min(next_due_at)::text from subscriber_tracks where subscriber_id = $1 and enabled")
        .bind(subscriber_id)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn due_tracks(pool: &PgPool) -> i64 {
    sqlx::query_scalar("select count(*) from subscriber_tracks where enabled and next_due_at <= now()")
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn execute(pool: &PgPool, sql: &str) {
    sqlx::query(sql).execute(pool).await.unwrap();
}

#[sqlx::test]
async fn a_track_added_or_moved_earlier_by_any_writer_is_planned_on_the_next_tick(pool: PgPool) {
    seed_due(&pool, 1).await;
    let app = spawn_app(pool.clone()).await;
    assert_eq!(app.plan().await.nudges_queued, 3);
    let id: i64 = sqlx::query_scalar("select id from subscribers").fetch_one(&pool).await.unwrap();
    assert_eq!(mark(&pool, id).await, earliest_slot(&pool, id).await, "the sweep set the mark to the next slot");
    execute(&pool, "update subscribers set max_per_day = 5").await;

    // A new track, due now: the insert lowers the mark.
    execute(
        &pool,
        "insert into subscriber_tracks (subscriber_id, track, interval_days, next_due_at)
         select id, 'patience', 2, now() - interval '1 minute' from subscribers",
    )
    .await;
    let report = app.plan().await;
    assert_eq!((report.subscribers, report.nudges_queued), (1, 1), "the new track was planned: {report:?}");
    assert_eq!(due_tracks(&pool).await, 0);

    // An existing track moved earlier than its planned slot (as an answer or
    // a resume does): the update lowers the mark.
    execute(&pool, "update subscriber_tracks set next_due_at = now() - interval '1 minute' where track = 'check-in'")
        .await;
    assert_eq!(due_tracks(&pool).await, 1);
    assert_eq!(app.plan().await.subscribers, 1, "the planner looked at the moved track");
    assert_eq!(due_tracks(&pool).await, 0, "and moved it on");
    assert_eq!(mark(&pool, id).await, earliest_slot(&pool, id).await);
}

#[sqlx::test]
async fn an_early_mark_costs_one_look_and_then_follows_the_tracks(pool: PgPool) {
    seed_due(&pool, 1).await;
    let app = spawn_app(pool.clone()).await;
    app.plan().await;
    let id: i64 = sqlx::query_scalar("select id from subscribers").fetch_one(&pool).await.unwrap();
    // Every track moves later (no trigger fires), and the mark is left behind, due.
    execute(&pool, "update subscriber_tracks set next_due_at = next_due_at + interval '5 days'").await;
    execute(&pool, "update planning_marks set due_at = now() - interval '1 minute'").await;

    let report = app.plan().await;
    assert_eq!(report.nudges_queued, 0, "nothing was due: {report:?}");
    assert_eq!(mark(&pool, id).await, earliest_slot(&pool, id).await, "the look moved the mark to the next slot");
}

#[sqlx::test]
async fn a_subscriber_who_is_not_active_gets_no_nudge_and_a_parked_mark(pool: PgPool) {
    seed_due(&pool, 2).await;
    execute(&pool, "update subscribers set status = 'paused' where id = (select min(id) from subscribers)").await;
    let app = spawn_app(pool.clone()).await;
    let report = app.plan().await;
    assert_eq!((report.subscribers, report.nudges_queued), (1, 3), "only the active one: {report:?}");
    let parked: Vec<String> = sqlx::query_scalar(
        "select m.due_at::text from planning_marks m join subscribers s on s.id = m.subscriber_id
         where s.status = 'paused'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(parked, ["infinity"], "a later sweep does not look at them again");
    assert_eq!(app.plan().await.subscribers, 0);

    // Resuming schedules the tracks again, which brings the mark back.
    execute(&pool, "update subscribers set status = 'active' where status = 'paused'").await;
    execute(&pool, "update subscriber_tracks set next_due_at = null where next_due_at <= now()").await;
    execute(&pool, "update subscriber_tracks set next_due_at = now() - interval '1 minute' where next_due_at is null")
        .await;
    assert_eq!(app.plan().await.nudges_queued, 3);
}

#[sqlx::test]
async fn moving_a_track_is_a_hot_update(pool: PgPool) {
    seed_due(&pool, 100).await;
    // What the planner's write does to each track, counted inside the transaction.
    let mut tx = pool.begin().await.unwrap();
    let moved = sqlx::query("update subscriber_tracks set next_due_at = now() + interval '1 day', last_variant = 'v'")
        .execute(&mut *tx)
        .await
        .unwrap()
        .rows_affected();
    let hot: i64 = sqlx::query_scalar("select pg_stat_get_xact_tuples_hot_updated('subscriber_tracks'::regclass)")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    // An index on next_due_at would make none of them HOT, full pages (fill
    // factor 100) almost none; at 50 a page has room for a new version of
    // nearly every row on it (each grew by the variant's name here).
    assert_eq!(moved, 300);
    assert!(hot >= 270, "{hot} of 300 moves stayed on their page with no index entry");
}
