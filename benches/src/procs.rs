//! Child processes: `tend serve` with a benchmark configuration, and their
//! resident memory, sampled from /proc every 100 ms.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use std::process::{Child, Command};

/// What a tend process is configured with.
pub struct TendConfig<'a> {
    pub database_url: &'a str,
    pub http_port: u16,
    pub smtp_port: u16,
    /// SMTP connections and sends in flight.
    pub connections: usize,
    pub batch_size: usize,
    /// `sender.record_batch`: accepted mails waiting for the recorder.
    pub record_batch: usize,
    pub db_connections: u32,
    /// Sign with DKIM (ed25519) using this key file.
    pub dkim_key_file: Option<PathBuf>,
    /// The metrics listener's port; `None` switches it off (instances run
    /// side by side, and the default port would be taken by the first).
    pub metrics_port: Option<u16>,
    /// Extra lines for the `[http]` table.
    pub http_extra: &'a str,
}

impl<'a> TendConfig<'a> {
    /// An instance that only serves pages: no relay, small pools, no
    /// metrics listener; benchmarks change what they measure.
    pub fn web(database_url: &'a str, http_port: u16) -> Self {
        Self {
            database_url,
            http_port,
            smtp_port: 25,
            connections: 1,
            batch_size: 50,
            record_batch: 32,
            db_connections: 4,
            dkim_key_file: None,
            metrics_port: None,
            http_extra: "",
        }
    }
}

pub fn write_config(work: &Path, name: &str, c: &TendConfig) -> anyhow::Result<PathBuf> {
    let path = work.join(format!("{name}.toml"));
    let text = format!(
        r#"environment = "local"
[database]
url = "{db}"
max_connections = {dbc}
[http]
bind = "127.0.0.1:{http}"
public_url = "http://127.0.0.1:{http}"
{http_extra}
[metrics]
bind = "{metrics}"
[mail]
transport = "smtp"
smtp_url = "smtp://127.0.0.1:{smtp}"
starttls = "none"
pool_size = {conns}
from = "tend <nudges@bench.example>"
[sender]
batch_size = {batch}
record_batch = {record_batch}
concurrency = {conns}
poll_interval = "20ms"
"#,
        db = c.database_url,
        dbc = c.db_connections,
        http = c.http_port,
        smtp = c.smtp_port,
        conns = c.connections,
        batch = c.batch_size,
        record_batch = c.record_batch,
        http_extra = c.http_extra,
        metrics = c.metrics_port.map_or(String::new(), |port| format!("127.0.0.1:{port}")),
    );
    // The DKIM keys go into the [mail] table, before its `from`.
    let dkim = c.dkim_key_file.as_ref().map_or(String::new(), |key| {
        format!("dkim_selector = \"bench\"\ndkim_algorithm = \"ed25519\"\ndkim_key_file = \"{}\"\n", key.display())
    });
    std::fs::write(&path, text.replacen("from = ", &format!("{dkim}from = "), 1))?;
    Ok(path)
}

/// A running `tend serve` and its memory samples.
pub struct Process {
    child: Child,
    pid: u32,
    samples: Arc<Mutex<Vec<u64>>>,
}

impl Process {
    pub fn spawn(bin: &Path, args: &[&str]) -> anyhow::Result<Process> {
        Self::spawn_with_env(bin, args, &[])
    }

    /// Like `spawn`, with `env` on top.
    pub fn spawn_with_env(bin: &Path, args: &[&str], env: &[(&str, &str)]) -> anyhow::Result<Process> {
        let child = Command::new(bin)
            .args(args)
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .env_remove("DATABASE_URL")
            .stdin(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        let pid = child.id();
        let samples = Arc::new(Mutex::new(Vec::new()));
        let sink = samples.clone();
        tokio::spawn(async move {
            while let Some(kib) = status_kib(pid, "VmRSS:") {
                sink.lock().expect("samples").push(kib);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        Ok(Process { child, pid, samples })
    }

    pub fn tend(bin: &Path, config: &Path, roles: &[&str]) -> anyhow::Result<Process> {
        let config = config.to_str().context("config path")?;
        let mut args = vec!["--config", config, "serve"];
        args.extend_from_slice(roles);
        Self::spawn(bin, &args)
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Forgets the samples so far (start of the measured phase).
    pub fn reset_samples(&self) {
        self.samples.lock().expect("samples").clear();
    }

    /// Peak resident set (VmHWM) and the median of the samples since the
    /// last reset, in MiB.
    pub fn memory(&self) -> (f64, f64) {
        let peak = status_kib(self.pid, "VmHWM:").unwrap_or(0) as f64 / 1024.0;
        let mut samples = self.samples.lock().expect("samples").clone();
        samples.sort_unstable();
        let steady = samples.get(samples.len() / 2).copied().unwrap_or(0) as f64 / 1024.0;
        (peak, steady)
    }

    /// SIGTERM, as systemd would stop it, then a kill after 10 s.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let _ = Command::new("kill").args(["-TERM", &self.pid.to_string()]).status();
        for _ in 0..100 {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }
}

/// A benchmark that fails between starting a process and stopping it must
/// not leave it running: an orphaned `tend serve` keeps claiming from the
/// next run's database and sends its mail elsewhere, inflating that run.
impl Drop for Process {
    fn drop(&mut self) {
        kill_if_running(&mut self.child);
    }
}

/// Kills and reaps `child` unless it has already exited (and been reaped).
pub fn kill_if_running(child: &mut Child) {
    if let Ok(None) = child.try_wait() {
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// A `kB` line of /proc/PID/status; `None` once the process is gone.
pub fn status_kib(pid: u32, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    line[key.len()..].trim().trim_end_matches("kB").trim().parse().ok()
}

/// `GET path` on loopback with an `Authorization` header; the whole answer.
pub async fn http_get(port: u16, path: &str, authorization: &str) -> anyhow::Result<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {authorization}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await?;
    Ok(answer)
}
