//! Erasure reaches beyond the database: forgetting someone (from the
//! preferences page or `tend subscriber forget`) also deletes the `file`
//! transport's copies of every mail to them, found by a hash of the address
//! in the file name (older files by their `.json`), and nobody else's.

use std::path::{Path, PathBuf};

use sqlx::PgPool;
use tend::config::MailTransportKind;

use crate::helpers::{TestApp, output_text, spawn_app_with, tend};

/// Every file in the outbox folder, with its contents.
fn files(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut found: Vec<(PathBuf, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| (p.clone(), String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned()))
        .collect();
    found.sort();
    found
}

/// The first link under `path` in the newest `.json` copy of mail to `email`.
fn link_in_outbox(app: &TestApp, dir: &Path, email: &str, path: &str) -> String {
    let start = format!("{}{path}", app.address);
    files(dir)
        .into_iter()
        .rev()
        .filter(|(p, text)| p.extension().is_some_and(|e| e == "json") && text.contains(email))
        .find_map(|(_, text)| {
            let i = text.find(&start)?;
            Some(text[i..].split(|c: char| c.is_whitespace() || c == '"' || c == '\\').next().unwrap().to_owned())
        })
        .unwrap_or_else(|| panic!("no {path} link to {email}"))
}

/// Copies one of `email`'s files under the name versions before address
/// keys gave them (a timestamp and the message key).
fn as_written_by_an_earlier_version(dir: &Path, email: &str, stem: &str) {
    let (json, text) =
        files(dir).into_iter().find(|(p, t)| p.extension().is_some_and(|e| e == "json") && t.contains(email)).unwrap();
    std::fs::write(dir.join(format!("{stem}.json")), text).unwrap();
    std::fs::copy(json.with_extension("eml"), dir.join(format!("{stem}.eml"))).unwrap();
}

#[sqlx::test]
async fn forgetting_someone_deletes_their_outbox_copies_and_nobody_else_s(pool: PgPool) {
    let dir = std::env::temp_dir().join(format!("tend-erasure-{}-{}", std::process::id(), rand::random::<u32>()));
    let outbox = dir.clone();
    let app = spawn_app_with(pool.clone(), move |s| {
        s.mail.transport = MailTransportKind::File;
        s.mail.outbox_dir = outbox;
    })
    .await;
    let (gone, stays) = ("Gone@Example.com", "stays@example.com");
    for email in [gone, stays] {
        assert_eq!(app.subscribe(email).await.status(), 200);
    }
    app.dispatch_all_pending_emails().await;
    let confirm = link_in_outbox(&app, &dir, gone, "/confirm/");
    assert_eq!(app.post_form(&confirm, "").await.status(), 200);
    app.dispatch_all_pending_emails().await;
    as_written_by_an_earlier_version(&dir, gone, "20261130T080000.000000Z-0a1b2c3d");
    as_written_by_an_earlier_version(&dir, stays, "20261130T080001.000000Z-4e5f6a7b");
    assert!(
        files(&dir).iter().all(|(p, _)| !p.to_string_lossy().to_lowercase().contains("example")),
        "names hide addresses"
    );
    let mentions = |email: &str| files(&dir).iter().filter(|(_, text)| text.contains(email)).count();
    assert_eq!(mentions(gone), 6, "confirmation, welcome, the older copy: .json and .eml each");

    let preferences = link_in_outbox(&app, &dir, gone, "/me/");
    let deleted = app.post_form(&preferences, "action=delete&confirm_delete=yes").await;
    assert_eq!(deleted.status(), 200);
    assert_eq!(mentions(gone), 0, "every copy of mail to the erased address is gone");
    assert_eq!(mentions(stays), 4, "the other subscriber's copies stay");
    assert!(files(&dir).iter().all(|(p, _)| p.extension().is_some_and(|e| e != "tmp")));

    let forgot = tend(&pool, &["subscriber", "forget", stays], &[("TEND__MAIL__OUTBOX_DIR", dir.to_str().unwrap())]);
    assert!(forgot.status.success(), "{}", output_text(&forgot));
    assert!(output_text(&forgot).contains("4 outbox files"), "{}", output_text(&forgot));
    assert!(files(&dir).is_empty(), "{:?}", files(&dir));
    std::fs::remove_dir_all(&dir).ok();
}
