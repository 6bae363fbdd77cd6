//! Operators' commands against a real database: `stats`, `send-test`,
//! `subscriber export|forget|import`, with their exit codes and messages.

use std::path::PathBuf;
use std::process::Output;

use serde_json::Value;
use sqlx::PgPool;

use crate::helpers::{output_text, tend};

use crate::stub_smtp::StubSmtpServer;

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn text(output: &Output) -> String {
    output_text(output)
}

fn ok(output: Output) -> String {
    assert!(output.status.success(), "{}", text(&output));
    text(&output)
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

/// A CSV file in the temp folder, unique to this test's database.
pub(crate) fn csv_file(pool: &PgPool, name: &str, contents: &str) -> PathBuf {
    let database = pool.connect_options().get_database().unwrap_or("db").to_owned();
    let path = std::env::temp_dir().join(format!("tend-{database}-{}-{name}", std::process::id()));
    std::fs::write(&path, contents).unwrap();
    path
}

/// A sent nudge for `email` on `track`, answered with `action` if given.
async fn sent_nudge(pool: &PgPool, email: &str, track: &str, action: Option<&str>) -> i64 {
    let delivery: i64 = sqlx::query_scalar(
        "insert into deliveries (subscriber_id, kind, track, variant, slot, due_at, status, attempt, sent_at, smtp_code)
         select id, 'nudge', $2, 'a', now() - interval '1 hour' * random(), now(), 'sent', 1, now(), 250
         from subscribers where email = $1
         returning id",
    )
    .bind(email)
    .bind(track)
    .fetch_one(pool)
    .await
    .unwrap();
    if let Some(action) = action {
        sqlx::query(
            "insert into answers (delivery_id, subscriber_id, track, action)
             select id, subscriber_id, track, $2 from deliveries where id = $1",
        )
        .bind(delivery)
        .bind(action)
        .execute(pool)
        .await
        .unwrap();
    }
    delivery
}

#[sqlx::test]
async fn stats_summarises_subscribers_due_work_deliveries_and_answer_rates(pool: PgPool) {
    // Without jitter every first slot is at most 24 hours away.
    let no_jitter = [("TEND__SCHEDULE__JITTER", "0s")];
    ok(tend(&pool, &["subscriber", "add", "a@example.com", "--preconfirmed"], &no_jitter));
    ok(tend(&pool, &["subscriber", "add", "b@example.com", "--preconfirmed", "--tracks", "support"], &no_jitter));
    ok(tend(&pool, &["subscriber", "add", "c@example.com"], &no_jitter));
    sent_nudge(&pool, "a@example.com", "check-in", Some("done")).await;
    sent_nudge(&pool, "a@example.com", "check-in", None).await;
    sent_nudge(&pool, "b@example.com", "support", Some("not_yet")).await;
    sqlx::query("update deliveries set status = 'failed', smtp_code = 550 where kind = 'confirm'")
        .execute(&pool)
        .await
        .unwrap();

    let summary = stdout(&tend(&pool, &["stats"], &[]));

    let line = |start: &str| {
        summary.lines().find(|l| l.trim_start().starts_with(start)).unwrap_or_else(|| panic!("{start}: {summary}"))
    };
    let words = |start: &str| line(start).split_whitespace().map(str::to_owned).collect::<Vec<_>>();
    assert_eq!(words("active"), ["active", "2"]);
    assert_eq!(words("pending"), ["pending", "1"]);
    assert_eq!(words("resting"), ["resting", "0"]);
    assert_eq!(words("total"), ["total", "3"]);
    // a@ has three default tracks and b@ one, all due at their first slot within a day.
    assert!(line("due in the next 24 h").contains("4 tracks of 2 subscribers"), "{summary}");
    assert_eq!(words("nudge"), ["nudge", "3", "0"]);
    assert_eq!(words("confirm"), ["confirm", "0", "1"]);
    assert_eq!(words("check-in"), ["check-in", "2", "1", "50%", "1", "0", "0", "0", "0"]);
    assert_eq!(words("support"), ["support", "1", "1", "100%", "0", "0", "1", "0", "0"]);
}

#[sqlx::test]
async fn stats_on_an_empty_database_says_so(pool: PgPool) {
    let summary = ok(tend(&pool, &["stats"], &[]));
    assert!(summary.contains("(nothing sent or failed)") && summary.contains("(no nudges sent)"), "{summary}");
}

#[sqlx::test]
async fn stats_refuses_a_bad_window_with_exit_2(pool: PgPool) {
    for days in ["0", "soon", "99999"] {
        let output = tend(&pool, &["stats", "--days", days], &[]);
        assert_eq!(output.status.code(), Some(2), "--days {days}: {}", text(&output));
        assert!(text(&output).contains(days), "{}", text(&output));
    }
}

#[sqlx::test]
async fn send_test_delivers_a_sample_nudge_and_reports_the_smtp_reply(pool: PgPool) {
    let smtp = StubSmtpServer::start().await;
    let url = format!("smtp://127.0.0.1:{}", smtp.port);
    let output = tokio::task::spawn_blocking(move || {
        tend(
            &pool,
            &["send-test", "ops@example.com", "--track", "patience"],
            &[("TEND__MAIL__TRANSPORT", "smtp"), ("TEND__MAIL__SMTP_URL", &url), ("TEND__MAIL__STARTTLS", "none")],
        )
    })
    .await
    .unwrap();

    let printed = ok(output);
    // The relay's reply as tend keeps it: the address it echoed is redacted.
    assert!(printed.contains("sent: 250 2.0.0 Ok: queued as 4F3A2B for <[address]>"), "{printed}");
    let mail = smtp.received_by("ops@example.com").pop().expect("the sample arrived");
    let subject = mail.header("Subject").unwrap();
    assert!(subject.starts_with("[tend test]"), "{subject}");
    assert!(mail.header("List-Unsubscribe").is_some() && mail.header("Message-ID").is_some());
}

#[sqlx::test]
async fn send_test_exits_1_and_says_why_when_the_relay_is_unreachable(pool: PgPool) {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("smtp://127.0.0.1:{port}");
    let output = tend(
        &pool,
        &["send-test", "ops@example.com"],
        &[("TEND__MAIL__TRANSPORT", "smtp"), ("TEND__MAIL__SMTP_URL", &url), ("TEND__MAIL__STARTTLS", "none")],
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(text(&output).contains("not sent, temporary failure"), "{}", text(&output));
}

#[sqlx::test]
async fn send_test_writes_to_the_outbox_with_the_file_transport(pool: PgPool) {
    let dir = std::env::temp_dir().join(format!("tend-send-test-{}", std::process::id()));
    let output = tend(
        &pool,
        &["send-test", "ops@example.com"],
        &[("TEND__MAIL__TRANSPORT", "file"), ("TEND__MAIL__OUTBOX_DIR", dir.to_str().unwrap())],
    );
    let printed = ok(output);
    assert!(printed.contains("sent:"), "{printed}");
    let written = std::fs::read_dir(&dir).unwrap().filter_map(Result::ok);
    assert!(written.into_iter().any(|e| e.path().extension().is_some_and(|x| x == "eml")));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[sqlx::test]
async fn send_test_names_a_bad_address_track_or_transport_and_exits_2(pool: PgPool) {
    for (args, env, expected) in [
        (vec!["send-test", "not-an-address"], vec![], "not-an-address"),
        (vec!["send-test", "a@example.com", "--track", "yoga"], vec![], "yoga"),
        (vec!["send-test"], vec![], "EMAIL"),
        (vec!["send-test", "a@example.com"], vec![("TEND__MAIL__FROM", "not a mailbox")], "mail.from"),
        (
            vec!["send-test", "a@example.com"],
            vec![("TEND__MAIL__TRANSPORT", "smtp"), ("TEND__MAIL__SMTP_URL", "")],
            "mail.smtp_url",
        ),
    ] {
        let output = tend(&pool, &args, &env);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", text(&output));
        assert!(text(&output).contains(expected), "{args:?}: {}", text(&output));
    }
}

#[sqlx::test]
async fn export_prints_everything_held_about_one_subscriber_as_json(pool: PgPool) {
    ok(tend(&pool, &["subscriber", "add", "me@example.com", "--timezone", "Europe/Berlin", "--time", "07:15"], &[]));
    ok(tend(&pool, &["subscriber", "add", "other@example.com", "--preconfirmed"], &[]));
    sent_nudge(&pool, "me@example.com", "check-in", Some("partly")).await;

    let output = tend(&pool, &["subscriber", "export", "ME@example.com"], &[]);
    assert!(output.status.success(), "{}", text(&output));
    let export: Value = serde_json::from_slice(&output.stdout).expect("stdout is one JSON document");

    assert_eq!(export["format"], "tend-subscriber-export/1");
    assert_eq!(export["subscriber"]["email"], "me@example.com");
    assert_eq!(export["subscriber"]["timezone"], "Europe/Berlin");
    assert_eq!(export["subscriber"]["send_time"], "07:15:00");
    assert_eq!(export["subscriber"]["status"], "pending");
    assert_eq!(export["tracks"].as_array().unwrap().len(), 3);
    let kinds: Vec<&str> =
        export["deliveries"].as_array().unwrap().iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["confirm", "nudge"]);
    assert_eq!(export["answers"][0]["action"], "partly");
    assert_eq!(export["tracks"][0]["ease"], 2.0);
    assert!(export["suppression"].is_null());
    assert!(export["pending_request"].is_null());
    assert!(!String::from_utf8_lossy(&output.stdout).contains("other@example.com"));
    assert!(String::from_utf8_lossy(&output.stderr).contains("3 tracks, 2 deliveries, 1 answers"), "{}", text(&output));
}

#[sqlx::test]
async fn forget_erases_a_subscriber_and_keeps_only_an_anonymous_count(pool: PgPool) {
    ok(tend(&pool, &["subscriber", "add", "gone@example.com", "--preconfirmed"], &[]));
    ok(tend(&pool, &["subscriber", "add", "stays@example.com", "--preconfirmed"], &[]));
    sent_nudge(&pool, "gone@example.com", "check-in", Some("done")).await;
    sent_nudge(&pool, "gone@example.com", "transparency", None).await;
    sent_nudge(&pool, "stays@example.com", "check-in", Some("done")).await;
    sqlx::query("insert into suppressed_addresses (email, smtp_code, reason) values ('gone@example.com', 550, 'x')")
        .execute(&pool)
        .await
        .unwrap();

    let printed = ok(tend(&pool, &["subscriber", "forget", "gone@example.com"], &[]));

    assert!(printed.contains("3 tracks, 2 deliveries, 1 answers"), "{printed}");
    assert_eq!(count(&pool, "select count(*) from subscribers where email = 'gone@example.com'").await, 0);
    assert_eq!(count(&pool, "select count(*) from subscribers").await, 1);
    assert_eq!(count(&pool, "select count(*) from subscriber_tracks").await, 3);
    assert_eq!(count(&pool, "select count(*) from deliveries").await, 1);
    assert_eq!(count(&pool, "select count(*) from answers").await, 1);
    assert_eq!(count(&pool, "select count(*) from suppressed_addresses").await, 0);
    let audit: (String, i32, i32, i32) =
        sqlx::query_as("select requested_by, tracks, deliveries, answers from erasures")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(audit, ("operator".to_owned(), 3, 2, 1));
    let audit_text: String =
        sqlx::query_scalar("select string_agg(e::text, ' ') from erasures e").fetch_one(&pool).await.unwrap();
    assert!(!audit_text.contains("gone"), "{audit_text}");

    // Forgetting again finds nobody and writes no second audit line.
    let again = tend(&pool, &["subscriber", "forget", "gone@example.com"], &[]);
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
    assert!(text(&again).contains("gone@example.com"));
    assert_eq!(count(&pool, "select count(*) from erasures").await, 1);
}

#[sqlx::test]
async fn export_and_forget_name_a_bad_or_unknown_address_and_exit_2(pool: PgPool) {
    for command in ["export", "forget"] {
        for (address, expected) in
            [("nope", "nope"), ("ghost@example.com", "no subscriber with address ghost@example.com")]
        {
            let output = tend(&pool, &["subscriber", command, address], &[]);
            assert_eq!(output.status.code(), Some(2), "{command} {address}: {}", text(&output));
            assert!(text(&output).contains(expected), "{command} {address}: {}", text(&output));
            assert!(output.stdout.is_empty(), "{command} {address}: {}", text(&output));
        }
    }
}

const MIXED_CSV: &str = "email,timezone,time,tracks
good1@example.com,Europe/Berlin,07:00,check-in;support
not-an-address,UTC,08:00,
good2@example.com,,,
bad-zone@example.com,Moon/Base,08:00,
bad-time@example.com,UTC,7pm,
\"good3@example.com\",\"America/New_York\",\"21:30\",\"patience\"
bad-track@example.com,UTC,08:00,check-in;yoga
";

#[sqlx::test]
async fn import_adds_good_rows_reports_bad_ones_and_changes_nothing_when_run_twice(pool: PgPool) {
    let path = csv_file(&pool, "mixed.csv", MIXED_CSV);
    let file = path.to_str().unwrap();

    let first = tend(&pool, &["subscriber", "import", file], &[]);

    assert_eq!(first.status.code(), Some(2), "bad rows make the exit status 2: {}", text(&first));
    let report = text(&first);
    for expected in [
        "row 3: email \"not-an-address\"",
        "row 5: timezone: unknown time zone \"Moon/Base\"",
        "row 6: time: \"7pm\"",
        "row 8: tracks \"check-in;yoga\": unknown track \"yoga\"",
        "3 added (3 confirmation mails queued, 0 active",
        "0 already known, 4 rejected",
        "import: 7/7",
    ] {
        assert!(report.contains(expected), "missing {expected:?} in:\n{report}");
    }
    let rows: Vec<(String, String, String, String)> =
        sqlx::query_as("select email, timezone, to_char(send_time, 'HH24:MI'), status from subscribers order by email")
            .fetch_all(&pool)
            .await
            .unwrap();
    let expected = [
        ("good1@example.com", "Europe/Berlin", "07:00", "pending"),
        ("good2@example.com", "UTC", "08:30", "pending"),
        ("good3@example.com", "America/New_York", "21:30", "pending"),
    ];
    assert_eq!(rows.len(), 3);
    for (row, want) in rows.iter().zip(expected) {
        assert_eq!((row.0.as_str(), row.1.as_str(), row.2.as_str(), row.3.as_str()), want);
    }
    let tracks: Vec<String> = sqlx::query_scalar(
        "select string_agg(track, ',' order by track) from subscriber_tracks t join subscribers s on s.id = t.subscriber_id
         group by s.email order by s.email",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(tracks, ["check-in,support", "check-in,follow-through,transparency", "patience"]);
    assert_eq!(count(&pool, "select count(*) from deliveries where kind = 'confirm'").await, 3);

    let second = tend(&pool, &["subscriber", "import", file], &[]);

    assert_eq!(second.status.code(), Some(2), "{}", text(&second));
    assert!(
        text(&second).contains("0 added (0 confirmation mails queued") && text(&second).contains("3 already known")
    );
    assert_eq!(count(&pool, "select count(*) from subscribers").await, 3);
    assert_eq!(count(&pool, "select count(*) from deliveries").await, 3, "no second confirmation mail");
    std::fs::remove_file(path).unwrap();
}

#[sqlx::test]
async fn import_of_a_clean_file_exits_0_and_preconfirmed_skips_the_opt_in(pool: PgPool) {
    let path = csv_file(&pool, "clean.csv", "email,tracks\r\nyes@example.com,support\r\n\r\nalso@example.com,\r\n");

    let printed = ok(tend(&pool, &["subscriber", "import", path.to_str().unwrap(), "--preconfirmed"], &[]));

    assert!(printed.contains("2 added (0 confirmation mails queued, 2 active"), "{printed}");
    assert_eq!(count(&pool, "select count(*) from subscribers where status = 'active'").await, 2);
    assert_eq!(count(&pool, "select count(*) from deliveries").await, 0, "no confirmation mail");
    assert_eq!(count(&pool, "select count(*) from subscriber_tracks where next_due_at is not null").await, 4);
    std::fs::remove_file(path).unwrap();
}

#[sqlx::test]
async fn import_never_resubscribes_a_known_address(pool: PgPool) {
    ok(tend(&pool, &["subscriber", "add", "left@example.com", "--preconfirmed"], &[]));
    sqlx::query("update subscribers set status = 'unsubscribed'").execute(&pool).await.unwrap();
    let path = csv_file(&pool, "known.csv", "email\nLEFT@example.com\n");

    let printed = ok(tend(&pool, &["subscriber", "import", path.to_str().unwrap(), "--preconfirmed"], &[]));

    assert!(printed.contains("1 already known"), "{printed}");
    assert_eq!(count(&pool, "select count(*) from subscribers where status = 'unsubscribed'").await, 1);
    assert_eq!(count(&pool, "select count(*) from deliveries").await, 0);
    std::fs::remove_file(path).unwrap();
}

#[sqlx::test]
async fn import_refuses_a_missing_file_or_a_bad_header_with_exit_2(pool: PgPool) {
    let missing = std::env::temp_dir().join("tend-no-such-file.csv");
    let unknown = csv_file(&pool, "unknown.csv", "email,zone\na@example.com,UTC\n");
    let no_email = csv_file(&pool, "no-email.csv", "timezone,time\nUTC,08:00\n");
    let empty = csv_file(&pool, "empty.csv", "");
    for (path, expected) in [
        (&missing, "tend-no-such-file.csv"),
        (&unknown, "unknown column \"zone\""),
        (&no_email, "no \"email\" column"),
        (&empty, "the file is empty"),
    ] {
        let output = tend(&pool, &["subscriber", "import", path.to_str().unwrap()], &[]);
        assert_eq!(output.status.code(), Some(2), "{}: {}", path.display(), text(&output));
        assert!(text(&output).contains(expected), "{}: {}", path.display(), text(&output));
    }
    let output = tend(&pool, &["subscriber", "import"], &[]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert_eq!(count(&pool, "select count(*) from subscribers").await, 0);
    for path in [unknown, no_email, empty] {
        std::fs::remove_file(path).unwrap();
    }
}
