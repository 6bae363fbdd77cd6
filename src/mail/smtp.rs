//! tend's SMTP client: a small pool of lettre `AsyncSmtpConnection`s.
//!
//! Why not lettre's pooled transport: it never sets `TCP_NODELAY`, and it
//! writes the final `.` as its own small packet, which then waits for the
//! peer's delayed ACK (about 44 ms per message; tend writes the message and
//! its end of data together). It also hides how far a
//! transaction got, and the sender needs exactly that: a failure before the
//! end of the data means nothing was delivered (retry), a failure after it
//! means the relay may have taken the message (**outcome unknown**).
//!
//! So tend opens each socket itself with `set_nodelay(true)`, hands it to
//! `AsyncSmtpConnection::connect_with_transport` (STARTTLS upgrades that same
//! socket; `smtps://` wraps it in TLS first, see [`tls`]), and runs each
//! mail transaction itself ([`session`]: MAIL, RCPT and DATA pipelined when
//! the relay offers it, the stage recorded before each step).
//! One deadline (`mail.timeout`, shorter than the sender's lease) covers the
//! whole send, including the wait for a free connection.
//!
//! A sender that already has its next message can have that message's
//! envelope written behind this one's end of data ([`SmtpPool::send_then`]):
//! the relay's replies to both come back in one round trip, and the session
//! stays with that sender, waiting for the next message's data
//! ([`Opened`]). Replies come in order, so each belongs to one message: a
//! failure before the next envelope's replies are in says nothing about
//! that message (it goes on its own, [`Then::Alone`]), a refusal of it is
//! its outcome ([`Then::Refused`]). While any send waits for a connection
//! nothing is chained, so a session held from one message to the next
//! never keeps another sender waiting.
//!
//! Nothing goes out before the session is what the settings ask for: with
//! `starttls = required` a relay that does not offer STARTTLS gets EHLO and
//! QUIT only, and credentials are sent only after TLS (when configured) is
//! up and verified ([`tls::TlsTrust`]). A failure while the session is being
//! set up (greeting, TLS, login) says nothing about the message, so it is
//! always transient, whatever the reply code: a wrong password or an
//! untrusted certificate makes mail wait for the operator, never fail.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use lettre::Address;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::extension::ClientId;
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::transport::SendOutcome;
use crate::domain::redact_addresses;

mod session;
mod stage;
mod tls;
mod url;
mod watch;

pub use session::Outgoing;
use session::{Chained, Session};
pub use stage::Stage;
use stage::{Failure, Progress, classify};
pub use tls::TlsTrust;
pub use url::{Security, SmtpTarget};

/// A connection idle for longer than this is closed rather than reused:
/// relays drop idle sessions after a few minutes and a stale one costs a
/// failed MAIL FROM.
const MAX_IDLE: Duration = Duration::from_secs(30);

struct Idle {
    session: Session,
    since: Instant,
}

/// The pool: at most `size` connections, idle ones kept for reuse.
pub struct SmtpPool {
    target: SmtpTarget,
    hello: ClientId,
    credentials: Option<Credentials>,
    trust: TlsTrust,
    timeout: Duration,
    idle: Mutex<Vec<Idle>>,
    permits: Arc<Semaphore>,
    /// Senders waiting for a connection slot.
    waiting: AtomicUsize,
}

/// A session and its connection slot, held for one message (or, chained,
/// for the next one too).
struct Lane {
    session: Session,
    _permit: OwnedSemaphorePermit,
}

/// One sender counted as waiting for a connection slot, until it got one
/// or gave up (a send timed out while it waited).
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn on(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Waiting(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A session whose relay accepted the next message's envelope and now
/// waits for its data: pass it to [`SmtpPool::send_then`] with that message.
/// Dropped unused, it closes the connection, and the relay delivers nothing.
pub struct Opened(Box<Lane>);

/// What became of the next message's envelope in [`SmtpPool::send_then`].
pub enum Then {
    /// Not sent: the next message goes on its own.
    Alone,
    /// Accepted: send the next message on this session.
    Opened(Opened),
    /// The relay refused it (4xx or 5xx): that is the next message's outcome.
    Refused(SendOutcome),
}

impl SmtpPool {
    pub fn new(target: SmtpTarget, credentials: Option<Credentials>, timeout: Duration, size: usize) -> Self {
        Self {
            target,
            hello: ClientId::default(),
            credentials,
            trust: TlsTrust::default(),
            timeout,
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(size.max(1))),
            waiting: AtomicUsize::new(0),
        }
    }

    /// Checks the relay's certificate against `trust` (default: the built-in
    /// roots, for the URL's host).
    pub fn with_trust(mut self, trust: TlsTrust) -> Self {
        self.trust = trust;
        self
    }

    /// Sends one message to `recipients`. Never panics, never exceeds the timeout.
    pub async fn send(&self, from: &Address, recipients: &[Address], message: &[u8]) -> SendOutcome {
        self.send_then(None, Outgoing { from, to: recipients, data: message }, None).await.0
    }

    /// Sends `message`, on `opened` when its envelope was already accepted
    /// there. With `next`, and while no other sender waits for a
    /// connection, `next`'s envelope goes in the same write as this
    /// message's end of data, and the session comes back waiting for
    /// `next`'s data ([`Then::Opened`]): one round trip per message instead
    /// of two. `mail.timeout` covers this message from the wait for a
    /// connection to its reply; `next`'s envelope replies must come within
    /// the same deadline, or `next` goes on its own ([`Then::Alone`]).
    pub async fn send_then(
        &self,
        opened: Option<Opened>,
        message: Outgoing<'_>,
        next: Option<Outgoing<'_>>,
    ) -> (SendOutcome, Then) {
        let deadline = tokio::time::Instant::now() + self.timeout;
        let start = if opened.is_some() { Stage::Data } else { Stage::WaitingForConnection };
        let progress = Arc::new(Progress::at(start));
        let sent = tokio::time::timeout_at(deadline, self.transaction(opened, &message, next.as_ref(), &progress));
        let (outcome, lane, chained) = match sent.await {
            Ok(Ok(sent)) => sent,
            Ok(Err(failure)) => return (classify(&failure), Then::Alone),
            Err(_) => return (self.timed_out(&progress), Then::Alone),
        };
        let Some(chained) = chained else {
            self.put_back(lane.session);
            return (outcome, Then::Alone);
        };
        (outcome, self.await_envelope(lane, &chained, deadline).await)
    }

    /// The replies to the next message's chained envelope: accepted, the
    /// session waits for its data; refused, that is the next message's
    /// outcome. A lost connection or no answer by `deadline` says nothing
    /// about it, so it goes on its own.
    async fn await_envelope(&self, mut lane: Lane, chained: &Chained, deadline: tokio::time::Instant) -> Then {
        match tokio::time::timeout_at(deadline, lane.session.envelope_replies(chained.replies)).await {
            Ok(Ok(())) => Then::Opened(Opened(Box::new(lane))),
            Ok(Err(failure)) if failure.code.is_some() => Then::Refused(classify(&failure)),
            Ok(Err(_)) | Err(_) => Then::Alone,
        }
    }

    fn timed_out(&self, progress: &Progress) -> SendOutcome {
        match progress.get() {
            Stage::EndOfData => {
                SendOutcome::Unknown { reason: format!("no reply to the end of data within {:?}", self.timeout) }
            }
            stage => SendOutcome::Transient {
                code: None,
                reason: format!("timed out after {:?} in stage {stage:?}", self.timeout),
            },
        }
    }

    /// The envelope (unless `opened` has it accepted already), the data,
    /// and the next envelope chained when that is allowed.
    async fn transaction(
        &self,
        opened: Option<Opened>,
        message: &Outgoing<'_>,
        next: Option<&Outgoing<'_>>,
        progress: &Arc<Progress>,
    ) -> Result<(SendOutcome, Lane, Option<Chained>), Failure> {
        let mut lane = match opened {
            Some(Opened(lane)) => *lane,
            None => self.open(message, progress).await?,
        };
        let chained = next.filter(|_| self.nobody_waits()).and_then(|next| lane.session.chained_envelope(next));
        let outcome = lane.session.data(message.data, chained.as_ref(), progress).await?;
        Ok((outcome, lane, chained))
    }

    /// A connection whose relay accepted `message`'s envelope.
    async fn open(&self, message: &Outgoing<'_>, progress: &Arc<Progress>) -> Result<Lane, Failure> {
        let permit = self.acquire().await?;
        if let Some(mut session) = self.take_idle() {
            match session.envelope(message, progress).await {
                Ok(()) => return Ok(Lane { session, _permit: permit }),
                // A reused session that broke before the relay said anything
                // about this message: it went stale while idle. Nothing was
                // delivered, so try once more on a fresh connection.
                Err(failure) if failure.stage == Stage::Envelope && failure.code.is_none() => {
                    tracing::debug!(reason = failure.reason, "idle SMTP connection went stale; reconnecting");
                }
                Err(failure) => return Err(failure),
            }
        }
        progress.set(Stage::Connecting);
        let mut session = self.connect().await?;
        session.envelope(message, progress).await?;
        Ok(Lane { session, _permit: permit })
    }

    /// A connection slot; while a sender waits here, nobody chains (a
    /// session kept from one message to the next would never come free).
    async fn acquire(&self) -> Result<OwnedSemaphorePermit, Failure> {
        let _waiting = Waiting::on(&self.waiting);
        // The semaphore is never closed, so acquiring only ever waits.
        self.permits.clone().acquire_owned().await.map_err(|_| Failure {
            stage: Stage::WaitingForConnection,
            code: None,
            reason: "connection pool closed".into(),
        })
    }

    /// Senders waiting for a connection slot right now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }

    fn nobody_waits(&self) -> bool {
        self.waiting.load(Ordering::SeqCst) == 0
    }

    fn take_idle(&self) -> Option<Session> {
        let mut idle = self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        while let Some(entry) = idle.pop() {
            if entry.since.elapsed() < MAX_IDLE && !entry.session.connection.has_broken() {
                return Some(entry.session);
            }
        }
        None
    }

    fn put_back(&self, session: Session) {
        self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(Idle { session, since: Instant::now() });
    }

    /// Opens a socket with `TCP_NODELAY`, greets, upgrades to TLS as
    /// configured, learns whether the relay pipelines and authenticates.
    async fn connect(&self) -> Result<Session, Failure> {
        let target = &self.target;
        let lettre_failure = Failure::at(Stage::Connecting);
        let io_failure = |err: std::io::Error| Failure {
            stage: Stage::Connecting,
            code: None,
            reason: format!("cannot connect to {}:{}: {err}", target.host, target.port),
        };
        let tls_failure = |error: lettre::transport::smtp::Error| {
            setup_failure(format!(
                "TLS with the relay failed: {error} (a relay with a private CA needs mail.ca_file; \
                 one reached by IP address needs mail.tls_server_name)"
            ))
        };
        let tcp = TcpStream::connect((target.host.as_str(), target.port)).await.map_err(io_failure)?;
        tcp.set_nodelay(true).map_err(io_failure)?;
        let (socket, watch) = watch::Watched::new(tcp);
        let tls = || self.trust.parameters(&target.host).map_err(tls_failure);
        let mut connection = match target.security {
            Security::Implicit => {
                let stream = tls::wrap(socket, tls()?).await.map_err(tls_failure)?;
                AsyncSmtpConnection::connect_with_transport(stream, &self.hello).await.map_err(&lettre_failure)?
            }
            Security::Plain | Security::StartTls { .. } => {
                AsyncSmtpConnection::connect_with_transport(Box::new(socket), &self.hello)
                    .await
                    .map_err(&lettre_failure)?
            }
        };
        if let Security::StartTls { required } = target.security {
            if connection.can_starttls() {
                connection.starttls(tls()?, &self.hello).await.map_err(tls_failure)?;
            } else if required {
                // Only EHLO went out; QUIT, and nothing else, follows in the clear.
                connection.abort().await;
                return Err(setup_failure(
                    "the relay does not offer STARTTLS and mail.starttls = \"required\": nothing was sent".into(),
                ));
            }
        }
        let mut session = Session::start(connection, watch, &self.hello).await?;
        if let Some(credentials) = &self.credentials {
            session.connection.auth(&[Mechanism::Plain, Mechanism::Login], credentials).await.map_err(|error| {
                setup_failure(format!("the relay refused the login (mail.smtp_username, mail.smtp_password): {error}"))
            })?;
        }
        Ok(session)
    }
}

/// A session that could not be set up for a reason the operator has to fix
/// (TLS, STARTTLS, login): logged as a warning on every attempt, and never a
/// reason to fail the message, so no reply code is kept for the retry policy.
fn setup_failure(reason: String) -> Failure {
    let reason = redact_addresses(&reason);
    tracing::warn!(reason, "cannot set up the SMTP session; the mail waits and is retried");
    Failure { stage: Stage::Connecting, code: None, reason }
}

/// Parses `mail.smtp_url` into a target and optional URL credentials.
pub fn parse_target(url: &str, starttls_required: Option<bool>) -> anyhow::Result<(SmtpTarget, Option<Credentials>)> {
    url::parse(url, starttls_required).context("mail.smtp_url: not a valid smtp:// or smtps:// URL")
}
