//! The database's `delivery_kind` enum and the code's `DeliveryKind` name the
//! same kinds: a kind added on one side only (or left out of
//! `DeliveryKind::ALL`, which the catalog and the lint walk) fails here.

use sqlx::PgPool;
use tend::domain::DeliveryKind;

#[sqlx::test]
async fn every_delivery_kind_in_the_database_is_one_the_code_lists(pool: PgPool) {
    let labels: Vec<String> =
        sqlx::query_scalar("select unnest(enum_range(null::delivery_kind))::text").fetch_all(&pool).await.unwrap();
    let listed: Vec<&str> = DeliveryKind::ALL.iter().map(|k| k.key()).collect();
    assert_eq!(labels, listed, "database enum vs DeliveryKind::ALL, in order");
}
