//! The catalog and its content rubric: the built-in catalog passes, each
//! deliberately bad catalog in `tests/catalogs/` is rejected for its one
//! reason, and the operator's notes reach the mails and the preferences page.

use std::path::PathBuf;
use std::process::{Command, Output};

use sqlx::PgPool;
use tend::mail::Catalog;
use tend::mail::lint::{self, Rule};

use crate::helpers::spawn_app_with;

fn tend(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tend"));
    // Port 0: never the default metrics port, which another test may hold.
    command
        .args(args)
        .env_remove("TEND_CONFIG")
        .env_remove("TEND__CATALOG__PATH")
        .env("TEND__METRICS__BIND", "127.0.0.1:0");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("tend runs")
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

fn bad(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/catalogs").join(format!("{name}.toml"))
}

const BAD: [(&str, Rule); 9] = [
    ("subject-length", Rule::SubjectLength),
    ("sentence-count", Rule::SentenceCount),
    ("banned-phrase", Rule::BannedPhrase),
    ("readability", Rule::Readability),
    ("too-few-variants", Rule::TooFewVariants),
    ("unknown-variant", Rule::UnknownVariant),
    ("similar-variants", Rule::SimilarVariants),
    ("unknown-placeholder", Rule::UnknownPlaceholder),
    ("render", Rule::Render),
];

#[test]
fn the_built_in_catalog_passes_the_lint() {
    let output = tend(&["catalog", "lint"], &[]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(lint::lint(&Catalog::built_in()).is_empty());
}

#[test]
fn each_bad_catalog_is_rejected_for_its_one_reason() {
    let files: Vec<String> = std::fs::read_dir(bad("x").parent().unwrap())
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().into_string().ok()?.strip_suffix(".toml").map(str::to_owned))
        .collect();
    assert_eq!(files.len(), BAD.len(), "every file in tests/catalogs has a case: {files:?}");
    for (name, rule) in BAD {
        let catalog = Catalog::read(bad(name).to_str().unwrap()).unwrap_or_else(|e| panic!("{name}: {e:#}"));
        let problems = lint::lint(&catalog);
        assert!(!problems.is_empty(), "{name}: no problem found");
        for p in &problems {
            assert_eq!(p.rule, rule, "{name}: {p}");
        }
    }
}

#[test]
fn each_bad_catalog_has_a_german_twin_rejected_for_the_same_reason() {
    for (name, rule) in BAD {
        let path = bad("x").parent().unwrap().join("de").join(format!("{name}.toml"));
        let catalog = Catalog::read(path.to_str().unwrap()).unwrap_or_else(|e| panic!("de/{name}: {e:#}"));
        let problems = lint::lint(&catalog);
        assert!(!problems.is_empty(), "de/{name}: no problem found");
        for p in &problems {
            assert_eq!(p.rule, rule, "de/{name}: {p}");
            assert_eq!(p.locale.language(), "de", "de/{name}: {p}");
        }
    }
}

#[test]
fn a_catalog_without_german_or_spanish_names_every_missing_key() {
    let en_only = Catalog::parse_standalone(include_str!("../../config/nudges.toml")).unwrap();
    let missing: Vec<String> =
        lint::lint(&en_only).iter().filter(|p| p.rule == Rule::MissingKey).map(ToString::to_string).collect();
    for key in ["[de.mail.welcome]", "[es.mail.promise_review]", "[de.nudge_frame]", "[es.notes]"] {
        assert!(missing.iter().any(|m| m.contains(key)), "{key} not named in {missing:?}");
    }
}

#[test]
fn lint_prints_track_variant_and_reason_and_exits_non_zero() {
    let cases = [
        ("subject-length", "[fr] track check-in, variant ten-quiet-minutes: subject has 65 characters (at most 60)"),
        ("sentence-count", "[fr] track check-in, variant ten-quiet-minutes: body has 7 sentences (2 to 5)"),
        (
            "banned-phrase",
            "[fr] track follow-through, variant one-small-promise: body uses the banned phrase \"again\"",
        ),
        ("readability", "[fr] track check-in, variant say-it-back: body reads too hard: Flesch reading ease"),
        ("too-few-variants", "[en] track support: has 3 variants; the rubric asks for at least 8"),
        ("unknown-variant", "[fr] track support, variant call-a-friend: there is no en variant of this name"),
        ("similar-variants", "[fr] track patience, variant hard-day: shares"),
        ("unknown-placeholder", "[en] mail welcome: subject uses unknown placeholder {name}"),
        ("render", "[en] mail weekly_summary: body has a broken placeholder near \"{sent nudges\""),
    ];
    for (name, expected) in cases {
        let output = tend(&["catalog", "lint", bad(name).to_str().unwrap()], &[]);
        assert_eq!(output.status.code(), Some(2), "{name}: {}", text(&output));
        assert!(text(&output).contains(expected), "{name}: {}", text(&output));
    }
}

#[test]
fn check_config_refuses_a_catalog_that_breaks_the_rubric_naming_the_entry() {
    let output = tend(&["check-config"], &[("TEND__CATALOG__PATH", bad("banned-phrase").to_str().unwrap())]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output).contains("track follow-through, variant one-small-promise"), "{}", text(&output));
    let catalog = bad("too-few-variants");
    let output =
        tend(&["serve"], &[("TEND__CATALOG__PATH", catalog.to_str().unwrap()), ("TEND__HTTP__BIND", "127.0.0.1:0")]);
    assert_eq!(output.status.code(), Some(1), "serve refuses to start: {}", text(&output));
    assert!(text(&output).contains("track support: has 3 variants"), "{}", text(&output));
}

#[test]
fn check_config_shows_the_content_lines_and_refuses_a_line_break() {
    let line = "call the free help line on 0800 000 000, any time";
    let output = tend(&["check-config"], &[("TEND__CONTENT__SAFETY_LINE", line)]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("[content]") && text(&output).contains(line), "{}", text(&output));
    let output = tend(&["check-config"], &[("TEND__CONTENT__RESOURCES", "a\nBcc: x@example.org")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output).contains("content.resources: must be one line"), "{}", text(&output));
}

#[test]
fn preview_prints_every_message_or_writes_html_files() {
    let output = tend(&["catalog", "preview", "--track", "support"], &[]);
    assert!(output.status.success(), "{}", text(&output));
    let printed = String::from_utf8_lossy(&output.stdout);
    let count = Catalog::built_in().variants(tend::domain::Track::Support).len();
    assert_eq!(printed.matches("==== track support, variant ").count(), count, "{printed}");
    assert!(!printed.contains("==== mail"), "--track shows only that track");

    let dir = std::env::temp_dir().join(format!("tend-preview-{}", std::process::id()));
    let output = tend(&["catalog", "preview", "--html", dir.to_str().unwrap()], &[]);
    assert!(output.status.success(), "{}", text(&output));
    let welcome = std::fs::read_to_string(dir.join("mail-welcome.html")).unwrap();
    assert!(welcome.starts_with("<!doctype html>") && welcome.contains("08:30"), "{welcome}");
    assert!(dir.join("index.html").exists() && dir.join("support-01-look-up-a-counsellor.html").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[sqlx::test]
async fn confirming_sends_a_welcome_and_every_footer_carries_the_operators_notes(pool: PgPool) {
    let app = spawn_app_with(pool, |s| {
        s.content.resources = "the directory at https://counselling.example.org/find".into();
        s.content.safety_line = "call 0800 000 000, free and confidential".into();
    })
    .await;
    let id = app.subscribe_and_confirm("welcome@example.com").await;
    let queued: i64 =
        app.count(&format!("select count(*) from deliveries where kind = 'welcome' and subscriber_id = {id}")).await;
    assert_eq!(queued, 1, "queued with the confirmation");
    app.dispatch_all_pending_emails().await;
    let mails = app.smtp.received_by("welcome@example.com");
    let welcome = mails.last().unwrap();
    assert_eq!(welcome.header("Subject").as_deref(), Some("Welcome to tend"));
    let body = welcome.decoded();
    assert!(body.contains("Your first nudge comes at 08:30 (UTC)"), "{body}");
    assert!(body.contains("Finding a counsellor: the directory at https://counselling.example.org/find"), "{body}");
    assert!(body.contains("<a href=\"https://counselling.example.org/find\""), "a link in HTML: {body}");
    assert!(body.contains("help is there: call 0800 000 000, free and confidential"), "{body}");
    for mail in &mails {
        assert!(mail.decoded().contains("call 0800 000 000"), "every footer: {}", mail.decoded());
    }
}

#[sqlx::test]
async fn an_unset_resources_line_shows_neutral_words_and_no_link(pool: PgPool) {
    let app = spawn_app_with(pool, |_| {}).await;
    app.subscribe_and_confirm("neutral@example.com").await;
    app.dispatch_all_pending_emails().await;
    let body = app.smtp.received_by("neutral@example.com").pop().unwrap().decoded();
    assert!(body.contains("your family doctor or a local health service can suggest one"), "{body}");
    assert!(body.contains("A local help line or your doctor can listen"), "{body}");
    assert!(!body.contains("{resources}") && !body.contains("{safety_line}"), "{body}");
}

#[sqlx::test]
async fn the_preferences_page_shows_the_safety_note(pool: PgPool) {
    let app = spawn_app_with(pool, |_| {}).await;
    app.subscribe_and_confirm("safe@example.com").await;
    app.dispatch_all_pending_emails().await;
    let welcome = app.smtp.received_by("safe@example.com").pop().unwrap();
    let link = app.links_in(&welcome, "/me/").pop().expect("a preferences link");
    let page = app.get(&link).await.text().await.unwrap();
    assert!(page.contains("id=\"safety-note\"") && page.contains("afraid of your partner"), "{page}");
}

#[sqlx::test]
async fn a_subscriber_in_a_locale_tend_does_not_ship_reads_en_words(pool: PgPool) {
    let app = spawn_app_with(pool, |_| {}).await;
    let id = app.subscribe_and_confirm("locale@example.com").await;
    sqlx::query("update subscribers set locale = 'fr' where id = $1").bind(id).execute(&app.pool).await.unwrap();
    app.dispatch_all_pending_emails().await;
    let welcome = app.smtp.received_by("locale@example.com").pop().unwrap();
    assert_eq!(welcome.header("Subject").as_deref(), Some("Welcome to tend"), "fr falls back to en");
}

#[sqlx::test]
async fn a_german_subscriber_gets_german_mail_and_german_nudges(pool: PgPool) {
    let app = spawn_app_with(pool, |_| {}).await;
    let id = app.subscribe_and_confirm("deutsch@example.com").await;
    sqlx::query("update subscribers set locale = 'de' where id = $1").bind(id).execute(&app.pool).await.unwrap();
    app.dispatch_all_pending_emails().await;
    let welcome = app.smtp.received_by("deutsch@example.com").pop().unwrap();
    assert_eq!(welcome.header("Subject").as_deref(), Some("Willkommen bei tend"));
    let german: Vec<String> = Catalog::built_in()
        .own_variants(&tend::domain::Locale::parse("de").unwrap(), tend::domain::Track::CheckIn)
        .iter()
        .map(|n| n.variant.clone())
        .collect();
    sqlx::query("update subscriber_tracks set next_due_at = now() where subscriber_id = $1 and track = 'check-in'")
        .bind(id)
        .execute(&app.pool)
        .await
        .unwrap();
    app.planner.plan_due().await.unwrap();
    let planned: String =
        sqlx::query_scalar("select variant from deliveries where kind = 'nudge'").fetch_one(&app.pool).await.unwrap();
    assert!(german.contains(&planned), "{planned} is not one of the German variants {german:?}");
}

#[test]
fn catalog_lint_takes_a_locale_and_names_an_unknown_one() {
    for locale in ["en", "de", "es"] {
        let output = tend(&["catalog", "lint", "--locale", locale], &[]);
        assert!(output.status.success(), "{locale}: {}", text(&output));
    }
    let output = tend(&["catalog", "lint", "--locale", "fr"], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output).contains("unknown locale \"fr\""), "{}", text(&output));
    // A German twin's problem shows under --locale de, and not under --locale es.
    let twin = bad("x").parent().unwrap().join("de/banned-phrase.toml");
    let twin = twin.to_str().unwrap();
    let output = tend(&["catalog", "lint", twin, "--locale", "de"], &[]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(text(&output).contains("[de] ") && text(&output).contains("banned phrase"), "{}", text(&output));
    assert!(tend(&["catalog", "lint", twin, "--locale", "es"], &[]).status.success());
}
