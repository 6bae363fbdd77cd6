//! A very small WebDriver client over `chromedriver`'s HTTP API, enough for
//! a browser test to open pages, type, click and take screenshots.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};

/// Flags for a headless Chromium that talks to nothing but loopback.
pub const CHROMIUM_FLAGS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// The names a usable Chromium goes by: Debian's package, Ubuntu's and
/// Fedora's, Google's builds.
const CHROMIUM_NAMES: [&str; 4] = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];

/// Headless Chromium for the browser tests: the first of [`CHROMIUM_NAMES`]
/// on the PATH that runs, or `None` when TEND_SKIP_BROWSER_TESTS is set.
/// Panics with what to install when there is none (`deploy/local/test.sh`
/// looks for it the same way).
pub fn chromium() -> Option<&'static Path> {
    if std::env::var_os("TEND_SKIP_BROWSER_TESTS").is_some() {
        return None;
    }
    static FOUND: OnceLock<Option<PathBuf>> = OnceLock::new();
    let found = FOUND.get_or_init(|| {
        let path = std::env::var_os("PATH").unwrap_or_default();
        CHROMIUM_NAMES.iter().flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name))).find(
            |binary| {
                // Ubuntu's chromium-browser is a wrapper that only asks for the snap.
                Command::new(binary).arg("--version").output().is_ok_and(|o| o.status.success())
            },
        )
    });
    Some(found.as_deref().unwrap_or_else(|| {
        panic!(
            "headless Chromium is needed and none of {CHROMIUM_NAMES:?} on the PATH runs. \
             Debian: apt-get install chromium chromium-driver. Ubuntu: apt's chromium-browser \
             only installs the snap, which does not run headless here; install Google Chrome \
             (google-chrome-stable) and a matching chromedriver. Or set TEND_SKIP_BROWSER_TESTS=1."
        )
    }))
}

pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    http: reqwest::Client,
}

impl Drop for Browser {
    /// chromedriver leads its own process group, so killing the group also
    /// ends the Chromium it started (killing chromedriver alone leaves
    /// Chromium running after the test, using CPU).
    fn drop(&mut self) {
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Browser {
    /// Starts chromedriver on a free port and a headless Chromium session.
    pub async fn start() -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let driver = Command::new("chromedriver")
            .process_group(0)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver runs (apt-get install chromium-driver)");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        for _ in 0..100 {
            if http.get(format!("{base}/status")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let mut args = CHROMIUM_FLAGS.to_vec();
        args.push("--window-size=900,1600");
        let binary = chromium().expect("the caller checked chromium()").to_string_lossy();
        let caps = json!({"capabilities": {"alwaysMatch": {"goog:chromeOptions": {"binary": binary, "args": args}}}});
        let response: Value =
            http.post(format!("{base}/session")).json(&caps).send().await.unwrap().json().await.unwrap();
        let session =
            response["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {response}")).to_owned();
        Browser { driver, base, session, http }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{}", self.base, self.session, path);
        let request = self.http.request(method, url);
        let request = match body {
            Some(body) => request.json(&body),
            None => request,
        };
        let value: Value = request.send().await.unwrap().json().await.unwrap();
        assert!(value["value"].get("error").is_none(), "webdriver {path}: {value}");
        value["value"].clone()
    }

    pub async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({"url": url}))).await;
    }

    pub async fn find(&self, css: &str) -> String {
        let found =
            self.call(reqwest::Method::POST, "/element", Some(json!({"using": "css selector", "value": css}))).await;
        found[ELEMENT].as_str().unwrap_or_else(|| panic!("no element {css}: {found}")).to_owned()
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        self.call(reqwest::Method::POST, &format!("/element/{element}/value"), Some(json!({"text": text}))).await;
    }

    pub async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.call(reqwest::Method::POST, &format!("/element/{element}/click"), Some(json!({}))).await;
    }

    pub async fn page_source(&self) -> String {
        self.call(reqwest::Method::GET, "/source", None).await.as_str().unwrap().to_owned()
    }

    /// Waits (up to five seconds) until the page shows `text`: a click that
    /// submits a form returns before the next page has loaded.
    pub async fn wait_for(&self, text: &str) -> String {
        for _ in 0..50 {
            let source = self.page_source().await;
            if source.contains(text) {
                return source;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the page never showed {text:?}: {}", self.page_source().await);
    }

    pub async fn screenshot_png(&self) -> Vec<u8> {
        let data = self.call(reqwest::Method::GET, "/screenshot", None).await;
        base64::engine::general_purpose::STANDARD.decode(data.as_str().unwrap()).unwrap()
    }
}
