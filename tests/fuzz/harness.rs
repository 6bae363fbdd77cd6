//! What every fuzz target needs: a proptest runner with the case count and
//! the target's regression file, input strategies, and for the handlers a
//! whole application on a fresh database, driven in-process.

use std::sync::OnceLock;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{Duration, Utc};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, TestRunner};
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgConnection, PgPool};
use tend::config::{OptionalAddr, Settings};
use tend::domain::promise::{DueDate, PromiseText};
use tend::domain::{
    Claims, LinkGeneration, LinkSigner, PageFacts, Purpose, Scheduling, SubscriberEmail, TimeOfDay, TimeZone, Track,
    variant_fingerprint,
};
use tend::sealing::Sealer;
use tend::startup::{Application, Roles};
use tend::subscriptions::promises::{MakePromise, NewPromise, PromiseRules, make_promise};
use tower::ServiceExt;

/// Cases per target when `PROPTEST_CASES` is not set.
const DEFAULT_CASES: u32 = 64;

/// A runner for `target`: `PROPTEST_CASES` cases, and failures kept in
/// `tests/fuzz/regressions/{target}.txt` (replayed first on every run).
pub fn runner(target: &str) -> TestRunner {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(DEFAULT_CASES);
    let path: &'static str = Box::leak(format!("tests/fuzz/regressions/{target}.txt").into_boxed_str());
    TestRunner::new(Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(path))),
        // Each case is cheap; shrinking a failure may take many.
        max_shrink_iters: 10_000,
        ..Config::default()
    })
}

/// Runs `test` over `strategy` and panics with the (shrunk) failing input.
pub fn check<S: Strategy>(target: &str, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    if let Err(err) = runner(target).run(&strategy, test) {
        panic!("{target}: {err}");
    }
}

/// Arbitrary bytes.
pub fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..max)
}

/// Arbitrary UTF-8, control characters, NUL and every plane included.
pub fn utf8(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<char>(), 0..max).prop_map(String::from_iter)
}

/// Mostly arbitrary UTF-8 or bytes (lossily decoded), sometimes one of the
/// values that parse, sometimes nothing at all.
pub fn field(valid: &'static [&'static str]) -> impl Strategy<Value = Option<String>> {
    weighted_field(valid, 2)
}

/// Like [`field`], with `valid` in `weight` of every 16 + `weight` cases.
pub fn weighted_field(valid: &'static [&'static str], weight: u32) -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        10 => utf8(80).prop_map(Some),
        4 => bytes(80).prop_map(|b| Some(String::from_utf8_lossy(&b).into_owned())),
        weight => proptest::sample::select(valid).prop_map(|v| Some(v.to_owned())),
        2 => Just(None),
    ]
}

/// Every zone chrono-tz knows, by name.
pub fn zone_names() -> &'static [&'static str] {
    static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
    NAMES.get_or_init(|| chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect())
}

/// A date as people and programs mistype it: any year (signed, up to six
/// digits), month and day, some out of range, and often at an edge: the
/// first and last days chrono can represent, the four-digit years' ends.
pub fn date_text() -> impl Strategy<Value = String> {
    let year = prop_oneof![
        -300_000i64..300_000,
        proptest::sample::select(vec![-262_145, -262_144, -262_143, 262_141, 262_142, 262_143, 262_144]),
        proptest::sample::select(vec![0, 1, 999, 1000, 1969, 1970, 2037, 2038, 9999, 10_000]),
    ];
    let month = prop_oneof![0u32..14, proptest::sample::select(vec![1, 12])];
    let day = prop_oneof![0u32..33, proptest::sample::select(vec![1, 28, 29, 30, 31])];
    (year, month, day, any::<bool>()).prop_map(|(year, month, day, plus)| {
        let sign = if year >= 0 && plus { "+" } else { "" };
        format!("{sign}{year:04}-{month:02}-{day:02}")
    })
}

/// The whole service on a fresh database, one subscriber with a nudge and
/// a promise, and valid links of every kind for them.
pub struct FuzzApp {
    runtime: tokio::runtime::Runtime,
    router: Router,
    admin_url: String,
    database: String,
    pub links: Links,
}

/// Paths (no host) that open each page for the fuzzed subscriber.
pub struct Links {
    pub preferences: String,
    pub answer: String,
    pub promise_check: String,
    pub promise_review: String,
    pub confirm: String,
    pub resume: String,
}

impl FuzzApp {
    pub fn start() -> FuzzApp {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let admin_url = std::env::var("DATABASE_URL").expect("DATABASE_URL names the test PostgreSQL server");
        let database = format!("tend_fuzz_{}_{}", std::process::id(), Utc::now().timestamp_nanos_opt().unwrap_or(0));
        let (router, links) = runtime.block_on(build(&admin_url, &database));
        FuzzApp { runtime, router, admin_url, database, links }
    }

    /// One request through the router; its status and body.
    pub fn send(&self, request: Request<Body>) -> (StatusCode, String) {
        self.runtime.block_on(async {
            let response = self.router.clone().oneshot(request).await.expect("the router never fails");
            let status = response.status();
            let body = axum::body::to_bytes(response.into_body(), 1 << 20).await.expect("a readable body");
            (status, String::from_utf8_lossy(&body).into_owned())
        })
    }
}

impl Drop for FuzzApp {
    fn drop(&mut self) {
        let (url, database) = (self.admin_url.clone(), self.database.clone());
        self.runtime.block_on(async move {
            if let Ok(mut admin) = PgConnection::connect(&url).await {
                let _ =
                    sqlx::query(&format!("drop database if exists {database} with (force)")).execute(&mut admin).await;
            }
        });
    }
}

async fn build(admin_url: &str, database: &str) -> (Router, Links) {
    let mut admin = PgConnection::connect(admin_url).await.expect("the test PostgreSQL server answers");
    sqlx::query(&format!("create database {database}")).execute(&mut admin).await.unwrap();
    let mut options: sqlx::postgres::PgConnectOptions = admin_url.parse().unwrap();
    options = options.database(database);
    let pool = PgPoolOptions::new().max_connections(8).connect_with(options).await.unwrap();
    tend::store::migrate(&pool).await.unwrap();
    let mut settings = Settings::load(None).expect("default settings load");
    settings.http.subscribe_per_client_per_minute = u32::MAX;
    settings.http.link_requests_per_client_per_minute = u32::MAX;
    settings.metrics.bind = OptionalAddr(None);
    settings.http.public_url = "http://tend.fuzz".into();
    let app = Application::build_with_listener(settings, pool.clone(), None, Roles::WEB).unwrap();
    let links = seed(&pool, app.state().links.signer(), &app.state().sealer).await;
    (tend::http::router(app.state().clone()), links)
}

/// An active subscriber with one sent nudge and one promise.
async fn seed(pool: &PgPool, signer: &LinkSigner, sealer: &Sealer) -> Links {
    let request = tend::subscriptions::SubscribeRequest {
        email: SubscriberEmail::parse("fuzz@example.com").unwrap(),
        preferences: tend::store::subscribers::Preferences {
            zone: TimeZone::parse("Pacific/Kiritimati").unwrap(),
            time: TimeOfDay::DEFAULT,
            max_per_day: 1,
            discreet: false,
            locale: tend::domain::Locale::en(),
        },
        tracks: Track::defaults(),
        preconfirmed: true,
        invitation: None,
    };
    let scheduling = Scheduling { jitter: Duration::zero() };
    let id = match tend::subscriptions::subscribe(pool, request, scheduling).await.unwrap() {
        tend::subscriptions::SubscribeOutcome::Activated { subscriber_id } => subscriber_id,
        other => panic!("{other:?}"),
    };
    let variant = tend::mail::Catalog::built_in().variants(Track::CheckIn)[0].variant.clone();
    let nudge: i64 = sqlx::query_scalar(
        "insert into deliveries (subscriber_id, kind, track, variant, slot, due_at, status, attempt, sent_at, answer_by)
         values ($1, 'nudge', 'check-in', $2, now(), now(), 'sent', 1, now(), now() + interval '30 days') returning id",
    )
    .bind(id)
    .bind(&variant)
    .fetch_one(pool)
    .await
    .unwrap();
    let (promise_check, promise_review) = promise(pool, sealer, id, scheduling).await;
    let facts = PageFacts { subscriber_id: id, track: Track::CheckIn, variant: variant_fingerprint(&variant) };
    let link = |purpose, subject| {
        signer.sign(&Claims::new(purpose, subject, LinkGeneration::FIRST, Utc::now(), Duration::days(30)))
    };
    let answer = Claims {
        page: Some(facts),
        ..Claims::new(Purpose::Nudge, nudge, LinkGeneration::FIRST, Utc::now(), Duration::days(14))
    };
    Links {
        preferences: format!("/me/{}", link(Purpose::Preferences, id)),
        answer: format!("/n/{}", signer.sign(&answer)),
        promise_check: format!("/p/{}", link(Purpose::Promise, promise_check)),
        promise_review: format!("/p/{}", link(Purpose::Promise, promise_review)),
        confirm: format!("/confirm/{}", link(Purpose::Confirm, id)),
        resume: format!("/resume/{}", link(Purpose::Resume, id)),
    }
}

/// A promise due in three days; the ids of its two mails.
async fn promise(pool: &PgPool, sealer: &Sealer, id: i64, scheduling: Scheduling) -> (i64, i64) {
    let due = (Utc::now() + Duration::days(3)).date_naive().to_string();
    let promise = NewPromise {
        text: PromiseText::parse("call at lunch").unwrap(),
        due_date: DueDate::parse(&due).unwrap(),
        due_time: TimeOfDay::parse("18:00").unwrap(),
        zone: None,
    };
    let rules = PromiseRules { check_before: Duration::days(1), scheduling };
    let MakePromise::Made(made) = make_promise(pool, sealer, id, &promise, rules).await.unwrap() else {
        panic!("the fuzzed subscriber's promise was refused");
    };
    let mail = |kind: &'static str| {
        sqlx::query_scalar::<_, i64>("select id from deliveries where promise_id = $1 and kind::text = $2")
            .bind(made.promise_id)
            .bind(kind)
            .fetch_one(pool)
    };
    (mail("promise_check").await.unwrap(), mail("promise_review").await.unwrap())
}

/// A valid promise date a month from today: computed, so it never passes.
pub fn a_month_ahead() -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(30)).to_string()
}
