//! What a relay instance's folder holds (see `postfix.rs` for the layout):
//! Postfix's `main.cf` and `master.cf` with one `smtpd` service per [`Port`],
//! the access maps that choose its answers, the transport map that makes it
//! an MX for tend's inbound domain, the TLS files, and Dovecot's
//! configuration and password file.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::pki::TestCa;

/// The name in the relay's certificate; it has no IP address in it.
pub const RELAY_NAME: &str = "relay.tend.test";
/// The SASL user Dovecot knows (its password is made per instance).
pub const USERNAME: &str = "tend";

/// The relay's five doors.
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
    /// An MX: takes mail for the inbound domain from anyone (no TLS, no
    /// login), never holds it, and relays it to tend's listener through
    /// the transport map (see [`MxRoute`]).
    Mx,
}

/// Where an MX instance relays the inbound domain: tend's listener.
#[derive(Debug, Clone)]
pub struct MxRoute {
    pub domain: String,
    pub port: u16,
}

impl Port {
    pub const ALL: [Port; 5] = [Port::Submission, Port::LoginOnly, Port::Smtps, Port::Plain, Port::Mx];

    /// Also the `syslog_name` suffix: its log lines read `postfix/NAME/smtpd[…]`.
    pub fn service(self) -> &'static str {
        match self {
            Port::Submission => "submission",
            Port::LoginOnly => "login-only",
            Port::Smtps => "smtps",
            Port::Plain => "plain",
            Port::Mx => "mx",
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
            Port::Mx => {
                "  -o smtpd_tls_security_level=none\n  -o smtpd_relay_restrictions=reject_unauth_destination\n  \
                 -o smtpd_recipient_restrictions=\n"
            }
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

pub fn write_files(dir: &Path, ports: &[(Port, u16)], password: &str, mx: Option<&MxRoute>) {
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
    // The lines docs/operations.md gives operators, with a texthash: table
    // (no postmap needed) instead of hash:.
    let relay_domain = mx.map(|route| route.domain.as_str()).unwrap_or_default();
    let transport = mx.map(|r| format!("{} smtp:[127.0.0.1]:{}\n", r.domain, r.port)).unwrap_or_default();
    fs::write(dir.join("conf/transport"), transport).unwrap();
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
relay_domains = {relay_domain}
transport_maps = texthash:{d}/conf/transport
smtp_tls_security_level = none
smtp_dns_support_level = disabled
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
smtp      unix  - - n -    - smtp
error     unix  - - n -    - error
retry     unix  - - n -    - error
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

fn run(program: &str, args: &[&str]) {
    let status = Command::new(program).args(args).status().unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(status.success(), "{program} {args:?}: {status}");
}
