//! An unknown locale is refused wherever a locale can be given, naming the
//! value, and nothing is written.

use sqlx::PgPool;

use crate::helpers::{form_for, output_text, spawn_app, tend};
use crate::operators::csv_file;

#[sqlx::test]
async fn an_unknown_locale_on_the_form_or_in_json_is_a_clear_400_and_writes_nothing(pool: PgPool) {
    let app = spawn_app(pool).await;
    let page = app.post_form("/subscribe", form_for("fr@example.com") + "&locale=fr").await;
    assert_eq!(page.status(), 400);
    let page = page.text().await.unwrap();
    assert!(page.contains("locale. unknown locale &#34;fr&#34;"), "{page}");
    let body = serde_json::json!({"email": "fr@example.com", "locale": "klingon"});
    let reply = app.post_json("/subscribe", &body).await;
    assert_eq!(reply.status(), 400);
    let reply: serde_json::Value = reply.json().await.unwrap();
    assert_eq!(reply["field"], "locale");
    assert!(reply["error"].as_str().unwrap().contains("klingon"), "{reply}");
    assert_eq!(app.snapshot().await, [0, 0, 0, 0]);
}

#[sqlx::test]
async fn an_unknown_locale_on_the_cli_exits_2_naming_it(pool: PgPool) {
    let output = tend(&pool, &["subscriber", "add", "fr@example.com", "--locale", "fr"], &[]);
    assert_eq!(output.status.code(), Some(2), "{}", output_text(&output));
    assert!(output_text(&output).contains("\"fr\""), "{}", output_text(&output));
    let count: i64 = sqlx::query_scalar("select count(*) from subscribers").fetch_one(&pool).await.unwrap();
    assert_eq!(count, 0);
}

#[sqlx::test]
async fn an_unknown_locale_in_a_csv_row_is_that_rows_error(pool: PgPool) {
    let path = csv_file(&pool, "locales.csv", "email,locale\nok@example.com,es\nbad@example.com,pt-BR\n");
    let output = tend(&pool, &["subscriber", "import", path.to_str().unwrap()], &[]);
    assert_eq!(output.status.code(), Some(2), "{}", output_text(&output));
    assert!(output_text(&output).contains("row 3: locale: unknown locale \"pt-BR\""), "{}", output_text(&output));
    let rows: Vec<(String, String)> =
        sqlx::query_as("select email, locale from subscribers").fetch_all(&pool).await.unwrap();
    assert_eq!(rows, [("ok@example.com".to_owned(), "es".to_owned())]);
    std::fs::remove_file(path).unwrap();
}
