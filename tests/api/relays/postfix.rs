//! A private Postfix instance per test, with Dovecot checking its logins:
//! the servers tend meets in production, started by the test the way
//! `#[sqlx::test]` creates a database, and gone when the test ends.
//!
//! Everything lives in a fresh folder, `$TMPDIR/tend-relay-PID-N`:
//!
//! - `conf/main.cf`, `conf/master.cf`: the instance, nothing chrooted, its
//!   log in `maillog` (`maillog_file`);
//! - `conf/at_rcpt`, `conf/at_end_of_data`: regexp access maps that pick the
//!   relay's answer by recipient (see [`Postfix`]);
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
//! `TEND_KEEP_RELAY_FILES` is set). A folder
//! left by a test process that died is swept by the next start.
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

use super::pki::TestCa;

/// The name in the relay's certificate; it has no IP address in it.
pub const RELAY_NAME: &str = "relay.tend.test";
/// The SASL user Dovecot knows (its password is made per instance).
pub const USERNAME: &str = "tend";
/// How long a start or a log line may take before the test fails.
const DEADLINE: Duration = Duration::from_secs(15);

/// The relay's four doors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Port {
    /// A submission service: STARTTLS before anything else (the relay
    /// answers 530 to MAIL in the clear), then AUTH PLAIN or LOGIN to relay.
    Submission,
    /// Like `Submission`, offering AUTH LOGIN only.
    LoginOnly,
    /// Implicit TLS from the first byte (`smtps://`), then AUTH to relay.
    Smtps,
    /// No STARTTLS offered at all; relays for loopback.
    Plain,
}

impl Port {
    const ALL: [Port; 4] = [Port::Submission, Port::LoginOnly, Port::Smtps, Port::Plain];

    /// Also the `syslog_name` suffix: its log lines read `postfix/NAME/smtpd[…]`.
    pub fn service(self) -> &'static str {
        match self {
            Port::Submission => "submission",
            Port::LoginOnly => "login-only",
            Port::Smtps => "smtps",
            Port::Plain => "plain",
        }
    }

    fn options(self) -> &'static str {
        match self {
            Port::Submission => {
                "  -o smtpd_tls_security_level=encrypt\n  -o smtpd_sasl_auth_enable=yes\n  \
                 -o smtpd_relay_restrictions=permit_sasl_authenticated,reject\n"
            }
            Port::LoginOnly => {
                "  -o smtpd_tls_security_level=encrypt\n  -o smtpd_sasl_auth_enable=yes\n  \
                 -o smtpd_sasl_mechanism_filter=login\n  \
                 -o smtpd_relay_restrictions=permit_sasl_authenticated,reject\n"
            }
            Port::Smtps => {
                "  -o smtpd_tls_wrappermode=yes\n  -o smtpd_sasl_auth_enable=yes\n  \
                 -o smtpd_relay_restrictions=permit_sasl_authenticated,reject\n"
            }
            Port::Plain => "  -o smtpd_tls_security_level=none\n",
        }
    }
}

/// Replies chosen by recipient, the way an access map answers in production.
/// Any other recipient is accepted (250) and the message held.
const AT_RCPT: &str = "\
/^gone@/     550 5.1.1 No such user here
/^denied@/   550 5.7.1 Refused by local policy
/^busy@/     451 4.7.1 Too many messages, try again later
/^closing@/  421 4.7.0 Closing the connection, try again later
/./          HOLD for the test to read
";
/// After the data: the whole message was read, then refused.
const AT_END_OF_DATA: &str = "/^full@/ 552 5.2.2 Mailbox full\n";

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
            if let Some(relay) = Self::try_start() {
                return Some(relay);
            }
        }
        panic!("Postfix did not start in three tries (a free port was taken meanwhile?)");
    }

    /// One try; `None` when a port chosen as free was taken meanwhile.
    fn try_start() -> Option<Postfix> {
        let n = INSTANCES.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("tend-relay-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let ports: Vec<(Port, u16)> =
            free_ports(Port::ALL.len()).into_iter().zip(Port::ALL).map(|(p, s)| (s, p)).collect();
        let password = format!("{:032x}", rand::random::<u128>());
        write_files(&dir, &ports, &password);
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

    /// A folder for a test's own files; removed with the instance.
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

fn write_files(dir: &Path, ports: &[(Port, u16)], password: &str) {
    let d = dir.display();
    for sub in ["conf", "tls", "data", "dovecot", "queue/pid"] {
        fs::create_dir_all(dir.join(sub)).unwrap();
    }
    // The queue folders Postfix's own `postfix check` would create (it takes
    // seconds); owned by the mail system's user, pid/ by root.
    for sub in [
        "active", "bounce", "corrupt", "defer", "deferred", "flush", "hold", "incoming", "maildrop", "private",
        "public", "saved", "trace",
    ] {
        fs::create_dir_all(dir.join("queue").join(sub)).unwrap();
    }
    run("chown", &["-R", "postfix:postfix", &format!("{d}/data"), &format!("{d}/queue")]);
    run("chown", &["root:root", &format!("{d}/queue"), &format!("{d}/queue/pid")]);
    run("chmod", &["0700", &format!("{d}/tls")]);

    let ca = TestCa::new("tend test CA");
    let server = ca.server_certificate(RELAY_NAME);
    fs::write(dir.join("tls/ca.pem"), ca.pem()).unwrap();
    fs::write(dir.join("tls/relay.pem"), server.certificate).unwrap();
    fs::write(dir.join("tls/relay.key"), server.key).unwrap();

    fs::write(dir.join("conf/at_rcpt"), AT_RCPT).unwrap();
    fs::write(dir.join("conf/at_end_of_data"), AT_END_OF_DATA).unwrap();
    fs::write(
        dir.join("conf/main.cf"),
        format!(
            "compatibility_level = 3.6
queue_directory = {d}/queue
data_directory = {d}/data
mail_owner = postfix
setgid_group = postdrop
maillog_file = {d}/maillog
maillog_file_prefixes = {d}
myhostname = {RELAY_NAME}
mydomain = tend.test
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
# Nothing on this machine answers DNS: never ask it.
smtpd_peername_lookup = no
smtpd_tls_cert_file = {d}/tls/relay.pem
smtpd_tls_key_file = {d}/tls/relay.key
smtpd_tls_loglevel = 1
smtpd_tls_auth_only = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = private/auth
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions = check_recipient_access regexp:{d}/conf/at_rcpt
smtpd_end_of_data_restrictions = check_recipient_access regexp:{d}/conf/at_end_of_data
"
        ),
    )
    .unwrap();
    let mut master_cf = String::new();
    for &(port, number) in ports {
        master_cf += &format!("{number} inet n - n - - smtpd\n  -o syslog_name=postfix/{}\n", port.service());
        master_cf += port.options();
    }
    master_cf += "\
cleanup   unix  n - n -    0 cleanup
qmgr      unix  n - n 300  1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n -    - trivial-rewrite
bounce    unix  - - n -    0 bounce
defer     unix  - - n -    0 bounce
trace     unix  - - n -    0 bounce
anvil     unix  - - n -    1 anvil
scache    unix  - - n -    1 scache
postlog   unix-dgram n - n - 1 postlogd
";
    fs::write(dir.join("conf/master.cf"), master_cf).unwrap();
    // Postfix rereads a file changed within the last second until it is
    // older (an editor may still be writing it): that costs about 2 s at
    // every start, so the files are dated a minute back.
    for entry in fs::read_dir(dir.join("conf")).unwrap() {
        let file = fs::File::options().write(true).open(entry.unwrap().path()).unwrap();
        file.set_modified(std::time::SystemTime::now() - Duration::from_secs(60)).unwrap();
    }

    fs::write(dir.join("dovecot-users"), format!("{USERNAME}:{{PLAIN}}{password}\n")).unwrap();
    // Dovecot's auth process reads it as the `dovecot` user.
    run("chown", &["root:dovecot", &format!("{d}/dovecot-users")]);
    run("chmod", &["0640", &format!("{d}/dovecot-users")]);
    fs::write(
        dir.join("dovecot.conf"),
        format!(
            "base_dir = {d}/dovecot
state_dir = {d}/dovecot/state
log_path = {d}/dovecot.log
protocols =
ssl = no
# Postfix did the TLS; Dovecot only checks the password it passes on.
disable_plaintext_auth = no
auth_mechanisms = plain login
# A wrong password is answered at once (the default waits 2 s).
auth_failure_delay = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/dovecot-users
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home=/nonexistent
}}
# No growing delay for an address that failed before (Dovecot's auth
# penalty, which needs this socket): the tests log in wrongly on purpose.
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service auth {{
  unix_listener {d}/queue/private/auth {{
    mode = 0660
    user = postfix
    group = postfix
  }}
}}
"
        ),
    )
    .unwrap();
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
    let Ok(entries) = fs::read_dir(std::env::temp_dir()) else { return };
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

fn run(program: &str, args: &[&str]) {
    let status = Command::new(program).args(args).status().unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(status.success(), "{program} {args:?}: {status}");
}

fn sbin(name: &str) -> PathBuf {
    let path = Path::new("/usr/sbin").join(name);
    if path.exists() { path } else { PathBuf::from(name) }
}

/// Where Debian keeps `master` (Postfix's `daemon_directory`).
fn daemon_binary(name: &str) -> PathBuf {
    Path::new("/usr/lib/postfix/sbin").join(name)
}
