//! Postfix's `smtp-sink` as the SMTP peer, and `smtp-source` as the ceiling.
//!
//! The sink appends every transaction to one dump file (`-D`), which is how
//! the benchmark proves that each message arrived exactly once: it counts
//! transactions and collects Message-IDs. The ceiling run uses the same sink
//! with the same dump, so both pay the same cost for it.

use std::collections::HashSet;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;

/// Where Debian puts Postfix's test tools.
fn tool(name: &str) -> PathBuf {
    let sbin = Path::new("/usr/sbin").join(name);
    if sbin.exists() { sbin } else { PathBuf::from(name) }
}

pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

pub async fn wait_for_port(port: u16) -> anyhow::Result<()> {
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    anyhow::bail!("nothing listens on port {port}")
}

pub struct Sink {
    child: Child,
    pub port: u16,
    dump: PathBuf,
}

/// What the sink received.
#[derive(Debug, Default)]
pub struct Received {
    pub transactions: usize,
    pub message_ids: Vec<String>,
    pub bytes: u64,
}

impl Received {
    pub fn distinct_ids(&self) -> HashSet<&str> {
        self.message_ids.iter().map(String::as_str).collect()
    }
}

impl Sink {
    /// Starts `smtp-sink` on a free port; as root it drops to `nobody`.
    pub async fn start(work: &Path, label: &str) -> anyhow::Result<Sink> {
        let dir = work.join(format!("sink-{label}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        let dump = dir.join("dump");
        let port = free_port()?;
        let mut command = Command::new(tool("smtp-sink"));
        if is_root() {
            std::os::unix::fs::chown(&dir, Some(nobody_uid()?), None)?;
            command.args(["-u", "nobody"]);
        }
        let child = command
            .arg("-D")
            .arg(&dump)
            .args([&format!("127.0.0.1:{port}"), "1024"])
            .stdin(Stdio::null())
            .spawn()
            .context("cannot start smtp-sink (Debian package postfix)")?;
        wait_for_port(port).await?;
        Ok(Sink { child, port, dump })
    }

    /// The sink's process (one process: it drops to `nobody` in place).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops the sink (by its PID) and reads its dump.
    pub fn stop(mut self) -> anyhow::Result<Received> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let received = parse_dump(&self.dump)?;
        let _ = std::fs::remove_dir_all(self.dump.parent().expect("dump is in a folder"));
        Ok(received)
    }
}

/// As for `tend serve`: a failed run must not leave its sink behind.
impl Drop for Sink {
    fn drop(&mut self) {
        crate::procs::kill_if_running(&mut self.child);
    }
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0).unwrap_or(false)
}

fn nobody_uid() -> anyhow::Result<u32> {
    let out = Command::new("id").args(["-u", "nobody"]).output()?;
    Ok(String::from_utf8(out.stdout)?.trim().parse()?)
}

/// Each transaction starts with the sink's `X-Client-Addr:` line; the
/// message's own headers follow until the first empty line.
pub fn parse_dump(path: &Path) -> anyhow::Result<Received> {
    let mut received = Received::default();
    let Ok(file) = std::fs::File::open(path) else {
        return Ok(received);
    };
    received.bytes = file.metadata()?.len();
    let mut in_headers = false;
    for line in std::io::BufReader::with_capacity(1 << 20, file).split(b'\n') {
        let line = line?;
        if line.starts_with(b"X-Client-Addr:") {
            received.transactions += 1;
            in_headers = true;
        } else if in_headers && (line.is_empty() || line == b"\r") {
            in_headers = false;
        } else if in_headers && line.len() > 11 && line[..11].eq_ignore_ascii_case(b"message-id:") {
            let value = String::from_utf8_lossy(&line[11..]).trim().to_owned();
            received.message_ids.push(value);
        }
    }
    Ok(received)
}

/// `smtp-source` sending `messages` of `length` bytes over `sessions`
/// reused connections (`-d`): the loopback ceiling. Returns the wall time.
pub fn smtp_source(port: u16, sessions: usize, messages: usize, length: u64) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let status = Command::new(tool("smtp-source"))
        .args(["-d", "-s", &sessions.to_string(), "-m", &messages.to_string(), "-l", &length.to_string()])
        .args(["-f", "ceiling@bench.example", "-t", "sink@bench.example", &format!("127.0.0.1:{port}")])
        .stdin(Stdio::null())
        .status()
        .context("cannot run smtp-source (Debian package postfix)")?;
    anyhow::ensure!(status.success(), "smtp-source failed: {status}");
    Ok(started.elapsed())
}
