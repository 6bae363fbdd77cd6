//! Promise texts bound to their rows and their keys: a text copied into
//! another subscriber's row does not open there (and the pages say so), and
//! `tend keys reseal` moves 10,000 promises to the first key, killed with
//! SIGKILL in the middle of a batch and run again, none lost or sealed twice.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{ChaCha20Poly1305, Key};
use sqlx::PgPool;
use tend::sealing::{Binding, Format, Sealed, Sealer, key_id};

use crate::helpers::{TestApp, database_url, form_for, output_text, spawn_app};

/// A confirmed follow-through subscriber with one promise written down
/// through their nudge's (fresh) preferences link; returns that link.
async fn subscriber_with_promise(app: &TestApp, email: &str, words: &str) -> String {
    let (_, nudge) = app.confirmed_with_first_nudge(email, &format!("{}&tracks=follow-through", form_for(email))).await;
    let preferences = app.links_in(&nudge, "/me/").pop().unwrap();
    let due = (chrono::Utc::now() + chrono::Duration::days(30)).format("%Y-%m-%d");
    let body = format!("action=promise&promise={}&due_date={due}", words.replace(' ', "+"));
    assert_eq!(app.post_form(&preferences, body).await.status(), 200);
    preferences
}

#[sqlx::test]
async fn a_promise_text_copied_into_another_subscriber_s_row_does_not_open_there(pool: PgPool) {
    let app = spawn_app(pool).await;
    let mine = subscriber_with_promise(&app, "mine@example.com", "Fix the gate").await;
    let theirs = subscriber_with_promise(&app, "theirs@example.com", "Call the school").await;
    // Someone with write access to the database moves the ciphertext across.
    sqlx::query(
        "update promises b set text_sealed = a.text_sealed, text_nonce = a.text_nonce,
                               text_format = a.text_format, text_key_id = a.text_key_id
         from promises a, subscribers sa, subscribers sb
         where a.subscriber_id = sa.id and sa.email = 'mine@example.com'
           and b.subscriber_id = sb.id and sb.email = 'theirs@example.com'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let page = app.get(&theirs).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("cannot be shown") && !html.contains("Fix the gate") && !html.contains("Call the school"));
    sqlx::query("update deliveries set due_at = now() where kind = 'promise_check'").execute(&app.pool).await.unwrap();
    app.dispatch_all_pending_emails().await;
    let mail = app.smtp.received_by("theirs@example.com").pop().unwrap();
    let promise = app.links_in(&mail, "/p/").pop().unwrap();
    let page = app.get(&promise).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("cannot be shown") && !html.contains("Fix the gate"), "{html}");
    assert!(app.get(&mine).await.text().await.unwrap().contains("Fix the gate"), "the original still opens");
}

const PROMISES: i64 = 10_000;
const OLD: [u8; 32] = [7; 32];
const NEW: [u8; 32] = [9; 32];

/// Ciphertexts as earlier versions stored them: no associated data.
fn unbound(key: &[u8; 32], text: &str) -> Sealed {
    let cipher = ChaCha20Poly1305::new(Key::from_slice(key));
    let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
    Sealed {
        ciphertext: cipher.encrypt(&nonce, text.as_bytes()).unwrap(),
        nonce: nonce.to_vec(),
        format: Format::Unbound,
    }
}

fn sealer(keys: &[[u8; 32]]) -> Sealer {
    Sealer::new(&keys.iter().map(|k| STANDARD.encode(k).into()).collect::<Vec<_>>()).unwrap()
}

/// The sealed columns of many promises, column by column, for one insert.
#[derive(Default)]
struct Columns {
    ids: Vec<i64>,
    subscribers: Vec<i64>,
    texts: Vec<Vec<u8>>,
    nonces: Vec<Vec<u8>>,
    formats: Vec<i16>,
    keys: Vec<Option<i64>>,
}

/// (id, subscriber, ciphertext, nonce, format, key id) as stored.
type StoredRow = (i64, i64, Vec<u8>, Vec<u8>, i16, Option<i64>);

/// 10,000 promises of 100 subscribers: half sealed before binding with the
/// old key, a quarter bound under the old key, a quarter already current.
async fn ten_thousand_promises(pool: &PgPool) -> Vec<Vec<u8>> {
    let subscribers: Vec<i64> = sqlx::query_scalar(
        "insert into subscribers (email, mailbox, timezone, send_time, status)
         select 'r' || g || '@example.com', 'r' || g || '@example.com', 'UTC', '08:30', 'active'
         from generate_series(1, 100) g returning id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let (old, new) = (sealer(&[OLD]), sealer(&[NEW]));
    let mut rows = Columns::default();
    for id in 1..=PROMISES {
        let binding = Binding { subscriber_id: subscribers[(id % 100) as usize], promise_id: id };
        let text = format!("promise number {id}");
        let sealed = match id % 4 {
            0 | 1 => unbound(&OLD, &text),
            2 => old.seal(&text, binding),
            _ => new.seal(&text, binding),
        };
        let (format, key) = match sealed.format {
            Format::Unbound => (0, None),
            Format::Bound { key_id } => (1, Some(key_id)),
        };
        rows.ids.push(id);
        rows.subscribers.push(binding.subscriber_id);
        rows.texts.push(sealed.ciphertext);
        rows.nonces.push(sealed.nonce);
        rows.formats.push(format);
        rows.keys.push(key);
    }
    sqlx::query(
        "insert into promises (id, subscriber_id, text_sealed, text_nonce, text_format, text_key_id, due_at)
         overriding system value
         select *, now() + interval '30 days' from unnest($1::bigint[], $2::bigint[], $3::bytea[], $4::bytea[],
                                                          $5::smallint[], $6::bigint[])",
    )
    .bind(&rows.ids)
    .bind(&rows.subscribers)
    .bind(&rows.texts)
    .bind(&rows.nonces)
    .bind(&rows.formats)
    .bind(&rows.keys)
    .execute(pool)
    .await
    .unwrap();
    rows.texts
}

async fn current_count(pool: &PgPool) -> i64 {
    sqlx::query_scalar("select count(*) from promises where text_format = 1 and text_key_id = $1")
        .bind(key_id(&NEW))
        .fetch_one(pool)
        .await
        .unwrap()
}

fn reseal_command(pool: &PgPool) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tend"));
    let keys = format!("{},{}", STANDARD.encode(NEW), STANDARD.encode(OLD));
    command
        .args(["keys", "reseal", "--batch", "1000"])
        .env("DATABASE_URL", database_url(pool))
        .env("TEND__SECURITY__PROMISE_KEYS", keys)
        .env("RUST_LOG", "info")
        .env_remove("TEND_CONFIG");
    command
}

#[sqlx::test]
async fn reseal_moves_ten_thousand_promises_to_the_first_key_and_survives_a_kill_9(pool: PgPool) {
    let before = ten_thousand_promises(&pool).await;
    assert_eq!(current_count(&pool).await, PROMISES / 4);

    // Hold a lock on promise 6000 (sealed before binding), so the batch that
    // reaches it stops mid-transaction, its earlier rows locked by it.
    let mut blocker = pool.begin().await.unwrap();
    sqlx::query("select id from promises where id = 6000 for update").execute(&mut *blocker).await.unwrap();
    let mut child = reseal_command(&pool).stderr(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let (logged, first_batch) = std::sync::mpsc::channel();
    // Reads the log to its end, so the process never writes into a closed pipe.
    let reader = std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            if line.contains("resealed a batch") {
                let _ = logged.send(());
            }
        }
    });
    first_batch.recv_timeout(Duration::from_secs(20)).expect("the first batch was logged");
    let deadline = Instant::now() + Duration::from_secs(20);
    while sqlx::query_scalar::<_, i64>(
        "select count(*) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
    )
    .fetch_one(&pool)
    .await
    .unwrap()
        == 0
    {
        assert!(Instant::now() < deadline, "the reseal never reached the locked row");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The moment: a batch is open and waiting, earlier batches committed.
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert_eq!(std::os::unix::process::ExitStatusExt::signal(&status), Some(9));
    reader.join().unwrap();
    blocker.rollback().await.unwrap();
    let halfway = current_count(&pool).await;
    assert!(halfway > PROMISES / 4 && halfway < PROMISES, "killed mid-run: {halfway} current");

    let rerun = reseal_command(&pool).output().unwrap();
    assert!(rerun.status.success(), "{}", output_text(&rerun));
    assert!(
        output_text(&rerun).contains(&format!("resealed {} promises", PROMISES - halfway)),
        "{}",
        output_text(&rerun)
    );

    // Every promise opens with the new key alone, bound to its own row; the
    // ones that were current already were left exactly as they were.
    let rows: Vec<StoredRow> = sqlx::query_as(
        "select id, subscriber_id, text_sealed, text_nonce, text_format, text_key_id from promises order by id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(rows.len() as i64, PROMISES, "none lost");
    let new_only = sealer(&[NEW]);
    for (id, subscriber_id, ciphertext, nonce, format, key) in rows {
        assert_eq!((format, key), (1, Some(key_id(&NEW))), "promise {id}");
        let sealed = Sealed { ciphertext: ciphertext.clone(), nonce, format: Format::Bound { key_id: key_id(&NEW) } };
        let text = new_only.open(&sealed, Binding { subscriber_id, promise_id: id });
        assert_eq!(text.as_deref(), Ok(format!("promise number {id}").as_str()), "promise {id}");
        if id % 4 == 3 {
            assert_eq!(ciphertext, before[(id - 1) as usize], "promise {id} was current and is untouched");
        }
    }
    let again = reseal_command(&pool).output().unwrap();
    assert!(again.status.success() && output_text(&again).contains("resealed 0 promises"), "{}", output_text(&again));
}
