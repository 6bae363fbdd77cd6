//! A private Postfix instance per test, with Dovecot checking its logins:
//! the servers tend meets in production, started by the test the way
//! `#[sqlx::test]` creates a database, and gone when the test ends.
//!
//! Everything lives in a fresh folder, `/tmp/tend-relay-PID-N` (not under
//! `$TMPDIR`, which may be private: the `postfix` and `dovecot` users must
//! reach it):
//!
//! - `conf/main.cf`, `conf/master.cf`: the instance, nothing chrooted, its
//!   log in `maillog` (`maillog_file`);
//! - `conf/at_rcpt`, `conf/at_end_of_data`: regexp access maps that pick the
//!   relay's answer by recipient (`files.rs` lists them);
//! - `tls/`: the relay's certificate and key, and `ca.pem`, the throwaway CA
//!   that signed them (made by `pki.rs` at start);
//! - `queue/`, `data/`: Postfix's queue. Accepted mail is put on hold there
//!   and never delivered anywhere; [`Postfix::held`] reads it back;
//! - `dovecot.conf`, `dovecot-users`, `dovecot/`: Dovecot, for SASL only
//!   (no mail protocols), its socket at `queue/private/auth`.
//!
//! Four `smtpd` services listen on free loopback ports ([`Port`]). The
//! processes are Postfix's `master -d` and `dovecot -F`, each in a process
//! group of its own; dropping the [`Postfix`] kills both groups and removes
//! the folder (kept, and named on stderr, when the test failed or
//! `TEND_KEEP_RELAY_FILES` is set). A folder left by a test process that
//! died is swept by the next start.
//!
//! Needs root (Postfix's master and smtpd switch users) and the Debian
//! packages `postfix` and `dovecot-core`, which `deploy/local/test.sh`
//! installs when run as root. Without root the tests fail and say so,
//! unless `TEND_SKIP_RELAY_TESTS=1` is set (see the README).

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::files::write_files;
pub use super::files::{MxRoute, Port, RELAY_NAME, USERNAME};

/// Where the instances' folders go: a place every user can traverse.
const BASE: &str = "/tmp";
/// How long a start or a log line may take before the test fails.
const DEADLINE: Duration = Duration::from_secs(15);

/// A message the relay accepted, as its queue file holds it.
#[derive(Debug, Clone)]
pub struct HeldMessage {
    /// Envelope recipients.
    pub recipients: Vec<String>,
    pub message_id: String,
    /// The relay's own `Received:` header, unfolded: `with ESMTPSA` means
    /// TLS and a login, `with ESMTPS` TLS only (RFC 3848).
    pub received: String,
    /// The SASL user the message was submitted as, if any.
    pub sasl_username: Option<String>,
}

pub struct Postfix {
    dir: PathBuf,
    ports: Vec<(Port, u16)>,
    password: String,
    master: Child,
    dovecot: Child,
}

static INSTANCES: AtomicUsize = AtomicUsize::new(0);

impl Postfix {
    /// Starts a fresh instance, or returns `None` when the real-relay tests
    /// are switched off with `TEND_SKIP_RELAY_TESTS=1`.
    pub fn start() -> Option<Postfix> {
        Self::start_with(None)
    }

    /// Starts an instance whose [`Port::Mx`] relays `route.domain` to tend's
    /// inbound listener, as an operator's MX would.
    pub fn start_mx(route: MxRoute) -> Option<Postfix> {
        Self::start_with(Some(route))
    }

    fn start_with(mx: Option<MxRoute>) -> Option<Postfix> {
        if std::env::var_os("TEND_SKIP_RELAY_TESTS").is_some() {
            eprintln!("SKIPPED: real-relay test (TEND_SKIP_RELAY_TESTS is set)");
            return None;
        }
        assert!(
            fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false),
            "the real-relay tests run a private Postfix, which needs root: run them as root \
             (deploy/local/test.sh as root installs Postfix and Dovecot), or set TEND_SKIP_RELAY_TESTS=1"
        );
        let master = daemon_binary("master");
        assert!(
            master.exists() && Path::new("/usr/sbin/dovecot").exists(),
            "Postfix and Dovecot are needed: apt-get install postfix dovecot-core \
             (deploy/local/test.sh does it, preseeded so that no system mail server starts)"
        );
        sweep_stale_instances();
        for _ in 0..3 {
            if let Some(relay) = Self::try_start(mx.as_ref()) {
                return Some(relay);
            }
        }
        panic!("Postfix did not start in three tries (a free port was taken meanwhile?)");
    }

    /// One try; `None` when a port chosen as free was taken meanwhile.
    fn try_start(mx: Option<&MxRoute>) -> Option<Postfix> {
        let n = INSTANCES.fetch_add(1, Ordering::SeqCst);
        let dir = Path::new(BASE).join(format!("tend-relay-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let ports: Vec<(Port, u16)> =
            free_ports(Port::ALL.len()).into_iter().zip(Port::ALL).map(|(p, s)| (s, p)).collect();
        let password = format!("{:032x}", rand::random::<u128>());
        write_files(&dir, &ports, &password, mx);
        let dovecot = spawn_group(
            Command::new("/usr/sbin/dovecot").arg("-F").arg("-c").arg(dir.join("dovecot.conf")),
            &dir.join("dovecot.out"),
        );
        let master = spawn_group(
            Command::new(daemon_binary("master")).arg("-d").arg("-c").arg(dir.join("conf")),
            &dir.join("master.out"),
        );
        fs::write(dir.join("pids"), format!("{}\n{}\n", master.id(), dovecot.id())).unwrap();
        let mut relay = Postfix { dir, ports, password, master, dovecot };
        relay.wait_until_ready().then_some(relay)
    }

    /// Waits for Dovecot's socket and every port; false if master exited
    /// because a port was taken.
    fn wait_until_ready(&mut self) -> bool {
        let started = Instant::now();
        let auth = self.dir.join("queue/private/auth");
        while !auth.exists() {
            if let Ok(Some(status)) = self.dovecot.try_wait() {
                panic!("dovecot exited ({status}): {}", self.file("dovecot.out") + &self.file("dovecot.log"));
            }
            self.check_deadline(started, "Dovecot's auth socket");
            std::thread::sleep(Duration::from_millis(20));
        }
        for &(_, port) in &self.ports {
            while TcpStream::connect(("127.0.0.1", port)).is_err() {
                if let Ok(Some(_)) = self.master.try_wait() {
                    let log = self.log() + &self.file("master.out");
                    assert!(log.contains("Address already in use"), "Postfix's master exited: {log}");
                    return false;
                }
                self.check_deadline(started, "Postfix's ports");
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        // The plain door greets in the clear: smtpd itself runs and is ours.
        let mut greeting = String::new();
        let stream = TcpStream::connect(("127.0.0.1", self.port(Port::Plain))).unwrap();
        stream.set_read_timeout(Some(DEADLINE)).unwrap();
        BufReader::new(stream).read_line(&mut greeting).unwrap();
        assert!(greeting.starts_with(&format!("220 {RELAY_NAME}")), "greeting {greeting:?}: {}", self.log());
        true
    }

    fn check_deadline(&self, started: Instant, what: &str) {
        assert!(started.elapsed() < DEADLINE, "{what} not ready after {DEADLINE:?}: {}", self.log());
    }

    pub fn port(&self, port: Port) -> u16 {
        self.ports.iter().find(|(p, _)| *p == port).expect("every port is started").1
    }

    /// The URL that reaches `port` by IP address (the certificate names
    /// only [`RELAY_NAME`]).
    pub fn url(&self, port: Port) -> String {
        let scheme = if port == Port::Smtps { "smtps" } else { "smtp" };
        format!("{scheme}://127.0.0.1:{}", self.port(port))
    }

    pub fn password(&self) -> &str {
        &self.password
    }

    /// The PEM file of the CA that signed the relay's certificate.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.join("tls/ca.pem")
    }

    /// A path in the instance's folder for a test's own file, removed with it.
    pub fn scratch(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Postfix's whole log so far.
    pub fn log(&self) -> String {
        self.file("maillog")
    }

    /// Polls Postfix's log (written by its own process, a moment after the
    /// reply tend saw) until a line of `port`'s service contains `needle`;
    /// returns those lines.
    pub fn wait_for_line(&self, port: Port, needle: &str) -> Vec<String> {
        let started = Instant::now();
        let tag = format!("postfix/{}/", port.service());
        loop {
            let lines: Vec<String> = self.log().lines().filter(|line| line.contains(&tag)).map(str::to_owned).collect();
            if lines.iter().any(|line| line.contains(needle)) {
                return lines;
            }
            assert!(started.elapsed() < DEADLINE, "no {tag} line with {needle:?} in Postfix's log: {}", self.log());
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// The line in which Postfix's `smtp` client finished with `recipient`
    /// (as tend's listener answered: `status=sent`, `status=bounced`,
    /// `status=deferred`), if it has. Tests whose tend runs on their own
    /// runtime poll it with an async sleep: a blocking wait would stop the
    /// listener that Postfix is waiting for.
    pub fn delivery_line(&self, recipient: &str) -> Option<String> {
        let to = format!("to=<{}>", recipient.to_ascii_lowercase());
        let log = self.log();
        let line = log
            .lines()
            .find(|l| l.contains("postfix/smtp[") && l.to_ascii_lowercase().contains(&to) && l.contains("status="));
        line.map(str::to_owned)
    }

    /// Every message the relay accepted. It is on hold before the relay
    /// answers 250, so no waiting is needed.
    pub fn held(&self) -> Vec<HeldMessage> {
        let mut files: Vec<PathBuf> =
            fs::read_dir(self.dir.join("queue/hold")).unwrap().map(|entry| entry.unwrap().path()).collect();
        files.sort();
        files.iter().map(|file| self.read_queue_file(file)).collect()
    }

    fn read_queue_file(&self, file: &Path) -> HeldMessage {
        let output = Command::new(sbin("postcat"))
            .arg("-c")
            .arg(self.dir.join("conf"))
            .args(["-e", "-h"])
            .arg(file)
            .output()
            .expect("postcat runs");
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "postcat {}: {text}{}",
            file.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        let unfolded = text.replace("\n\t", " ").replace("\n ", " ");
        let value = |prefix: &str| unfolded.lines().find_map(|l| l.strip_prefix(prefix)).map(|v| v.trim().to_owned());
        HeldMessage {
            recipients: unfolded.lines().filter_map(|l| l.strip_prefix("recipient: ")).map(str::to_owned).collect(),
            message_id: value("Message-ID:").unwrap_or_default(),
            received: value("Received:").unwrap_or_default(),
            sasl_username: value("named_attribute: sasl_username="),
        }
    }

    fn file(&self, name: &str) -> String {
        let mut text = String::new();
        if let Ok(mut file) = fs::File::open(self.dir.join(name)) {
            file.read_to_string(&mut text).ok();
        }
        text
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        kill_group(self.master.id());
        kill_group(self.dovecot.id());
        let _ = self.master.wait();
        let _ = self.dovecot.wait();
        if std::thread::panicking() || std::env::var_os("TEND_KEEP_RELAY_FILES").is_some() {
            eprintln!("the relay's files (maillog, configuration) are kept in {}", self.dir.display());
        } else {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// `count` loopback ports that were free a moment ago.
fn free_ports(count: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..count).map(|_| TcpListener::bind("127.0.0.1:0").unwrap()).collect();
    listeners.iter().map(|l| l.local_addr().unwrap().port()).collect()
}

/// Starts `command` as the leader of a new process group, output to `log`.
fn spawn_group(command: &mut Command, log: &Path) -> Child {
    let out = fs::File::create(log).unwrap();
    command
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"))
}

/// SIGKILL to a whole process group (Postfix's and Dovecot's children are in
/// their master's): nothing in it needs a clean shutdown.
fn kill_group(leader: u32) {
    assert!(leader > 1, "never signal process group {leader}");
    let _ = Command::new("sh").args(["-c", "kill -KILL -$0 2>/dev/null", &leader.to_string()]).status();
}

/// Kills the processes of instances whose test process is gone (killed by a
/// timeout, say) and removes their folders.
fn sweep_stale_instances() {
    let Ok(entries) = fs::read_dir(BASE) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(owner) = name.strip_prefix("tend-relay-").and_then(|rest| rest.split('-').next()) else { continue };
        if Path::new("/proc").join(owner).exists() {
            continue;
        }
        let dir = entry.path();
        for leader in fs::read_to_string(dir.join("pids")).unwrap_or_default().lines() {
            let Ok(leader) = leader.parse::<u32>() else { continue };
            // Only a process that is still that instance's (pids get reused).
            let cmdline = fs::read(format!("/proc/{leader}/cmdline")).unwrap_or_default();
            if leader > 1 && String::from_utf8_lossy(&cmdline).contains(&*dir.to_string_lossy()) {
                kill_group(leader);
            }
        }
        let _ = fs::remove_dir_all(&dir);
    }
}

fn sbin(name: &str) -> PathBuf {
    let path = Path::new("/usr/sbin").join(name);
    if path.exists() { path } else { PathBuf::from(name) }
}

/// Where Debian keeps `master` (Postfix's `daemon_directory`).
fn daemon_binary(name: &str) -> PathBuf {
    Path::new("/usr/lib/postfix/sbin").join(name)
}
