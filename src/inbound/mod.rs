//! The inbound SMTP listener: replies, bounces and complaints come back to
//! tend here, through the operator's MX (docs/operations.md).
//!
//! Only addresses that carry a valid token are accepted
//! (`domain::inbound_address`): `r-…` (a mail's `Reply-To`) and `b-…` (its
//! envelope sender); RCPT to anything else, to an expired token, or to a
//! reply address of an earlier link generation (after "sign out my links"
//! or unsubscribing) gets 550, so the MX refuses forgeries and stale
//! addresses, and tend never stores strangers' mail.
//! What each message then does is [`act`]'s: a reply is read and recorded
//! as the button would record it, a DSN's permanent failure suppresses the
//! address, a feedback report unsubscribes. The listener answers 250 only
//! once that is written, and 451 when the database cannot be reached, so
//! the MX keeps the message and tries again.
//!
//! Limits: `inbound.max_bytes` per message (advertised as SIZE; over it,
//! 552 after the data), `inbound.max_recipients` per message (452),
//! `inbound.max_connections` sessions at once (421 and closed), and
//! `inbound.session_timeout` per session, however it is spent (421 and
//! closed). No STARTTLS and no AUTH: it sits behind the MX on a private
//! address.
//!
//! Crates: `smtp-proto` (Stalwart Labs; Apache-2.0 OR MIT, so fine inside
//! an AGPL-3.0-or-later program; no default features, one dependency,
//! `memchr`) parses commands and dot-stuffed data and writes replies; the
//! session, limits and I/O are tokio code here. `mail-parser` (same
//! authors and licences, no features, no dependencies) reads MIME,
//! encodings and HTML; tend writes no MIME parsing of its own. Both are
//! maintained and fuzzed by their authors, and used by the Stalwart mail
//! server in production.

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::InboundSettings;
use crate::domain::{InboundDomain, LinkSigner, Scheduling};
use crate::metrics::{Metrics, Refusal};
use crate::subscriptions::Answers;

mod act;
pub mod read;
mod session;

/// How long the accept loop waits after a failed accept (out of file
/// descriptors, say) before it tries again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Everything the listener needs, built once at start-up.
pub struct InboundParts {
    pub pool: PgPool,
    pub signer: LinkSigner,
    pub domain: InboundDomain,
    pub answers: Answers,
    pub scheduling: Scheduling,
    pub metrics: Arc<Metrics>,
    pub settings: InboundSettings,
}

pub struct Inbound {
    parts: InboundParts,
    connections: Arc<Semaphore>,
}

impl Inbound {
    pub fn new(parts: InboundParts) -> Arc<Self> {
        let connections = Arc::new(Semaphore::new(parts.settings.max_connections));
        Arc::new(Self { parts, connections })
    }

    /// Accepts sessions until `shutdown`; each session runs on `tracker`,
    /// so shutdown waits for them (they stop reading at once and answer 421).
    pub async fn serve(self: Arc<Self>, listener: TcpListener, shutdown: CancellationToken, tracker: TaskTracker) {
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                () = shutdown.cancelled() => return,
            };
            let (stream, _) = match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    tracing::warn!(error = %err, "the inbound listener cannot accept; trying again");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            match self.connections.clone().try_acquire_owned() {
                Ok(permit) => tracker.spawn(self.clone().session(stream, shutdown.clone(), permit)),
                Err(_) => tracker.spawn(self.clone().turn_away(stream)),
            };
        }
    }

    async fn session(self: Arc<Self>, stream: TcpStream, shutdown: CancellationToken, _permit: OwnedSemaphorePermit) {
        if let Err(err) = session::run(&self, stream, shutdown).await {
            tracing::debug!(error = %err, "an inbound session ended with an error");
        }
    }

    /// One session too many: 421, and the MX tries again later.
    async fn turn_away(self: Arc<Self>, mut stream: TcpStream) {
        self.parts.metrics.inbound.refuse(Refusal::TooManyConnections);
        tracing::warn!("inbound.max_connections sessions are open; turned one away");
        let _ = stream.write_all(b"421 4.3.2 Too many connections, try again later\r\n").await;
        let _ = stream.shutdown().await;
    }
}
