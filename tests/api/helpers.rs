//! `spawn_app`: the whole service on port 0 against a fresh database (from
//! `#[sqlx::test]`), sending to an in-process SMTP stub (`stub_smtp`), plus
//! the steps tests drive.

use chrono::{DateTime, Timelike, Utc};
use reqwest::redirect::Policy;
use serde_json::Value;
use sqlx::PgPool;
use tend::config::{MailTransportKind, Settings, StartTls};
use tend::domain::{Claims, LinkGeneration, LinkSigner, Purpose};
use tend::planner::{Planner, SweepReport};
use tend::sender::{ExecutionOutcome, Sender};
use tend::startup::{Application, Roles};
use tokio_util::sync::CancellationToken;

use crate::stub_smtp::{ReceivedMail, StubSmtpServer};

pub struct TestApp {
    pub address: String,
    pub pool: PgPool,
    /// The in-process SMTP stub every mail goes to, unless a test points
    /// `mail.smtp_url` elsewhere.
    pub smtp: StubSmtpServer,
    pub client: reqwest::Client,
    pub planner: Planner,
    pub sender: Sender,
    /// The inbound SMTP listener's port, when `inbound.bind` was set.
    pub inbound_port: Option<u16>,
    shutdown: CancellationToken,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub async fn spawn_app(pool: PgPool) -> TestApp {
    spawn_app_with(pool, |_| {}).await
}

/// Like `spawn_app`, with a chance to change settings first.
pub async fn spawn_app_with(pool: PgPool, customize: impl FnOnce(&mut Settings)) -> TestApp {
    let smtp = StubSmtpServer::start().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let mut settings = Settings::load(None).expect("default settings load");
    settings.http.public_url = address.clone();
    settings.mail.transport = MailTransportKind::Smtp;
    settings.mail.smtp_url = format!("smtp://127.0.0.1:{}", smtp.port).into();
    settings.mail.starttls = StartTls::None;
    settings.schedule.jitter = tend::config::Duration::parse("0s").unwrap();
    // Tests share one client address; the per-client limits have their own tests.
    settings.http.subscribe_per_client_per_minute = 100_000;
    settings.http.link_requests_per_client_per_minute = 100_000;
    customize(&mut settings);
    settings.check().expect("test settings are valid");
    let app = Application::build_with_listener(settings, pool.clone(), Some(listener), Roles::WEB).expect("app builds");
    let planner = app.planner().clone();
    let sender = app.sender().clone();
    let inbound_port = app.inbound_port();
    let shutdown = CancellationToken::new();
    tokio::spawn(app.run_until_stopped(shutdown.clone()));
    let client = reqwest::Client::builder().redirect(Policy::none()).build().unwrap();
    TestApp { address, pool, smtp, client, planner, sender, inbound_port, shutdown }
}

/// The subscribe form of `subscribe_and_confirm_soon`: the preferred time a
/// few minutes from now, in a fixed-offset zone (`Etc/GMT±N`, no DST) where
/// it is about noon, so the subscriber's midnight is hours away whenever
/// the test runs. Returns the form and the slot's time of day in UTC.
pub fn form_soon(email: &str) -> (String, chrono::NaiveTime) {
    let now = chrono::Utc::now();
    // Hours the zone is ahead of UTC: -11 (at 23:xx UTC) to +12 (at 00:xx).
    let ahead = 12 - i64::from(now.hour());
    // POSIX signs: Etc/GMT-12 is twelve hours *ahead* of UTC.
    let zone = match ahead {
        0 => "Etc/GMT".to_owned(),
        a if a > 0 => format!("Etc/GMT-{a}"),
        a => format!("Etc/GMT+{}", -a),
    };
    let slot = (now + chrono::Duration::minutes(5)).time().with_second(0).and_then(|t| t.with_nanosecond(0)).unwrap();
    let local = slot + chrono::Duration::hours(ahead);
    let form = format!(
        "email={}&timezone={}&time={}",
        urlencode(email),
        urlencode(&zone),
        urlencode(&local.format("%H:%M").to_string())
    );
    (form, slot)
}

/// The default subscribe form: UTC, 08:30, default tracks.
pub fn form_for(email: &str) -> String {
    format!("email={}&timezone=UTC&time=08%3A30", urlencode(email))
}

pub fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") { path.to_owned() } else { format!("{}{}", self.address, path) }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn head(&self, path: &str) -> reqwest::Response {
        self.client.head(self.url(path)).send().await.expect("HEAD")
    }

    pub async fn post_form(&self, path: &str, body: impl Into<String>) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.into())
            .send()
            .await
            .expect("POST form")
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client.post(self.url(path)).json(body).send().await.expect("POST json")
    }

    pub async fn subscribe(&self, email: &str) -> reqwest::Response {
        self.post_form("/subscribe", form_for(email)).await
    }

    /// Runs the sender step until the queue is empty (zero-to-production's
    /// `dispatch_all_pending_emails`): no sleeping, no background loop.
    pub async fn dispatch_all_pending_emails(&self) {
        for _ in 0..100 {
            if self.sender.try_execute_batch().await.expect("send batch") == ExecutionOutcome::EmptyQueue {
                return;
            }
        }
        panic!("the queue did not drain");
    }

    pub async fn plan(&self) -> SweepReport {
        self.planner.plan_due().await.expect("planning sweep")
    }

    /// Subscribes, delivers the confirmation mail and presses Confirm.
    pub async fn subscribe_and_confirm(&self, email: &str) -> i64 {
        self.subscribe_and_confirm_with(email, &form_for(email)).await
    }

    /// Like `subscribe_and_confirm`, with the preferred time a few minutes
    /// from now; returns the slot's time of day in UTC. Tests that travel
    /// from slot to slot and meet the daily limit need it: with a fixed
    /// 08:30 the subscriber's day boundary fell between the moved slots at
    /// some times of day only. The subscriber lives in a fixed-offset zone
    /// (`Etc/GMT±N`, no DST) where it is about noon now, so their midnight is
    /// hours away whenever the test runs, and nothing waits for a new day.
    pub async fn subscribe_and_confirm_soon(&self, email: &str) -> (i64, chrono::NaiveTime) {
        let (form, slot) = form_soon(email);
        (self.subscribe_and_confirm_with(email, &form).await, slot)
    }

    /// Subscribes with `form`, confirms, and sends the first nudge at its
    /// slot: the subscriber's id and the nudge mail.
    pub async fn confirmed_with_first_nudge(&self, email: &str, form: &str) -> (i64, ReceivedMail) {
        let id = self.subscribe_and_confirm_with(email, form).await;
        self.travel_to_next_slot(id).await;
        self.plan().await;
        self.dispatch_all_pending_emails().await;
        let mails = self.smtp.received_by(email);
        let nudge = mails.into_iter().rev().find(|m| !self.links_in(m, "/n/").is_empty()).expect("a nudge");
        (id, nudge)
    }

    async fn subscribe_and_confirm_with(&self, email: &str, form: &str) -> i64 {
        assert_eq!(self.post_form("/subscribe", form.to_owned()).await.status(), 200);
        self.dispatch_all_pending_emails().await;
        let mail = self.smtp.received_by(email).pop().expect("a confirmation mail");
        let confirm = self.links_in(&mail, "/confirm/").pop().expect("a confirm link");
        assert_eq!(self.post_form(&confirm, "").await.status(), 200);
        self.subscriber_id(email).await
    }

    /// Moves a subscriber's whole timeline (schedule and outbox) earlier so
    /// that their earliest due track is due now: the same as waiting until
    /// that slot, without waiting.
    pub async fn travel_to_next_slot(&self, subscriber_id: i64) {
        let shift: Option<f64> = sqlx::query_scalar(
            "select extract(epoch from min(next_due_at) - now())::float8
             from subscriber_tracks where subscriber_id = $1 and enabled",
        )
        .bind(subscriber_id)
        .fetch_one(&self.pool)
        .await
        .unwrap();
        let Some(shift) = shift else { return };
        let mut tx = self.pool.begin().await.unwrap();
        for sql in [
            "update subscriber_tracks set next_due_at = next_due_at - make_interval(secs => $2)
             where subscriber_id = $1",
            "update deliveries set slot = slot - make_interval(secs => $2), due_at = due_at - make_interval(secs => $2),
                                   answer_by = answer_by - make_interval(secs => $2)
             where subscriber_id = $1",
        ] {
            sqlx::query(sql).bind(subscriber_id).bind(shift).execute(&mut *tx).await.unwrap();
        }
        tx.commit().await.unwrap();
    }

    /// Every link to this app in a mail whose path starts with `prefix`.
    pub fn links_in(&self, mail: &ReceivedMail, prefix: &str) -> Vec<String> {
        let start = format!("{}{}", self.address, prefix);
        let text = mail.decoded();
        let mut links: Vec<String> = text
            .match_indices(&start)
            .map(|(i, _)| text[i..].split(|c: char| c.is_whitespace() || "\"<>".contains(c)).next().unwrap().to_owned())
            .collect();
        links.dedup();
        links.sort();
        links.dedup();
        links
    }

    pub async fn subscriber_id(&self, email: &str) -> i64 {
        sqlx::query_scalar("select id from subscribers where lower(email) = lower($1)")
            .bind(email)
            .fetch_one(&self.pool)
            .await
            .expect("subscriber exists")
    }

    pub async fn status_of(&self, email: &str) -> Option<String> {
        sqlx::query_scalar("select status from subscribers where lower(email) = lower($1)")
            .bind(email)
            .fetch_optional(&self.pool)
            .await
            .unwrap()
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.pool).await.unwrap()
    }

    /// Row counts of every table: a bad request must leave them all alone.
    pub async fn snapshot(&self) -> [i64; 4] {
        [
            self.count("select count(*) from subscribers").await,
            self.count("select count(*) from subscriber_tracks").await,
            self.count("select count(*) from deliveries").await,
            self.count("select count(*) from answers").await,
        ]
    }
}

/// A link token as tend mints them now (layout 2), issued a minute ago, of
/// the subscriber's first link generation unless `generation` says otherwise.
pub fn token(signer: &LinkSigner, purpose: Purpose, subject: i64, expires_at: DateTime<Utc>) -> String {
    token_of_generation(signer, purpose, subject, 0, expires_at)
}

pub fn token_of_generation(
    signer: &LinkSigner,
    purpose: Purpose,
    subject: i64,
    generation: i32,
    expires_at: DateTime<Utc>,
) -> String {
    let generation = LinkGeneration::from_stored(generation).unwrap();
    let issued_at = Utc::now() - chrono::Duration::minutes(1);
    signer.sign(&Claims { purpose, subject, generation, issued_at, expires_at, page: None })
}

/// The development link key's signer: what `spawn_app` signs with.
pub fn dev_signer() -> LinkSigner {
    LinkSigner::new(&Settings::load(None).unwrap().security.link_keys).unwrap()
}

/// The URL of the test's own database, for a `tend` process.
pub fn database_url(pool: &PgPool) -> String {
    let o = pool.connect_options();
    format!(
        "postgres://{}@{}:{}/{}",
        o.get_username(),
        o.get_host(),
        o.get_port(),
        o.get_database().unwrap_or("postgres")
    )
}

/// Runs the `tend` binary against the test database with extra environment.
/// Blocking: async tests that also serve something call it via `spawn_blocking`.
pub fn tend(pool: &PgPool, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tend"));
    command.args(args).env("DATABASE_URL", database_url(pool)).env_remove("TEND_CONFIG");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("tend runs")
}

/// Everything a `tend` process printed, stdout then stderr.
pub fn output_text(output: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}
