//! wrk, driven by `lua/answers.lua` in one of its modes, and the axum
//! hello-world that is the ceiling for the page figures. The answers,
//! metrics and limits benchmarks share it.

use std::path::Path;
use std::process::Stdio;

use anyhow::Context;

use super::AnswerArgs;
use crate::procs::Process;
use crate::sink;

/// One wrk run, from the script's `done()`.
#[derive(Debug, Clone, Copy)]
pub struct Wrk {
    pub requests: f64,
    /// Requests sent, including those in flight when wrk stopped.
    pub issued: f64,
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Non-2xx answers (a 429 counts) and socket errors.
    pub failed: i64,
}

pub(super) async fn wrk(port: u16, mode: &str, tokens: &Path, connections: usize, seconds: u32) -> anyhow::Result<Wrk> {
    wrk_with(port, mode, connections, seconds, &[("TOKENS", tokens.display().to_string())]).await
}

/// wrk with `lua/answers.lua` in `mode`, two threads, and `env` for the script.
pub async fn wrk_with(
    port: u16,
    mode: &str,
    connections: usize,
    seconds: u32,
    env: &[(&str, String)],
) -> anyhow::Result<Wrk> {
    wrk_blocking(port, mode, connections, seconds, env)
}

/// [`wrk_with`] on the calling thread (several can run side by side).
pub(super) fn wrk_blocking(
    port: u16,
    mode: &str,
    connections: usize,
    seconds: u32,
    env: &[(&str, String)],
) -> anyhow::Result<Wrk> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("lua/answers.lua");
    let out = std::process::Command::new("wrk")
        .args(["-t2", &format!("-c{connections}"), &format!("-d{seconds}s"), "--timeout", "5s", "-s"])
        .arg(&script)
        .arg(format!("http://127.0.0.1:{port}"))
        .env("MODE", mode)
        .env("THREADS", "2")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run wrk (Debian package wrk)")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().find_map(|l| l.strip_prefix("BENCH ")).context("wrk printed no BENCH line")?;
    let v: serde_json::Value = serde_json::from_str(line)?;
    let num = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    Ok(Wrk {
        requests: num("requests"),
        issued: num("issued"),
        rps: num("requests") / num("seconds"),
        p50_ms: num("p50_ms"),
        p99_ms: num("p99_ms"),
        failed: (num("non2xx") + num("errors")) as i64,
    })
}

pub(super) async fn hello_ceiling(args: &AnswerArgs) -> anyhow::Result<Wrk> {
    let port = sink::free_port()?;
    let exe = std::env::current_exe()?;
    let server = Process::spawn(&exe, &["hello", &port.to_string()])?;
    sink::wait_for_port(port).await?;
    let result = wrk(port, "hello", Path::new("/dev/null"), args.get_connections, args.seconds).await;
    server.stop().await?;
    result
}

/// The ceiling: axum answering "Hello, World!" on the same machine.
pub async fn hello(port: u16) -> anyhow::Result<()> {
    let app = axum::Router::new().route("/", axum::routing::get(|| async { "Hello, World!" }));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
