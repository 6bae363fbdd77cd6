//! Start-up: builds every part from `Settings` once, then runs the roles
//! this process was asked for (web, scheduler, sender) until shutdown, and
//! in every role the metrics listener (`metrics.bind`) with the periodic
//! refresh of its gauges, and the inbound SMTP listener when `inbound.bind`
//! is set.

use std::sync::Arc;

use anyhow::Context;
use secrecy::ExposeSecret;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::Settings;
use crate::domain::LinkSigner;
use crate::domain::Scheduling;
use crate::http::serve::{ConnectionLimits, serve};
use crate::http::{self, AppState, Shared};
use crate::inbound::{Inbound, InboundParts};
use crate::links::Links;
use crate::mail::notes::OperatorLines;
use crate::mail::{Catalog, Composer, Mailer};
use crate::metrics::Metrics;
use crate::metrics::gauges::refresh_every;
use crate::planner::{Planner, PlannerParts};
use crate::scheduler;
use crate::sealing::Sealer;
use crate::sender::{Sender, SenderParts};
use crate::store;
use crate::subscriptions::Answers;

/// Scrapers connected at once to the metrics listener (Prometheus uses one).
const METRICS_CONNECTIONS: usize = 16;

/// Time beyond `mail.timeout` that shutdown waits for in-flight work.
const SHUTDOWN_SLACK: std::time::Duration = std::time::Duration::from_secs(5);

/// Which parts of tend this process runs; `tend serve` runs all three.
#[derive(Debug, Clone, Copy)]
pub struct Roles {
    pub web: bool,
    pub scheduler: bool,
    pub sender: bool,
}

impl Roles {
    pub const ALL: Roles = Roles { web: true, scheduler: true, sender: true };
    /// Web only: tests drive the planner and sender steps themselves.
    pub const WEB: Roles = Roles { web: true, scheduler: false, sender: false };
}

pub struct Application {
    listener: Option<TcpListener>,
    /// Bound while building (so a taken port stops start-up), served when run.
    metrics_listener: Option<std::net::TcpListener>,
    state: AppState,
    planner: Planner,
    sender: Sender,
    roles: Roles,
    /// The inbound listener and its socket, when `inbound.bind` is set.
    inbound: Option<(TcpListener, Arc<Inbound>)>,
}

impl Application {
    pub async fn build(settings: Settings, roles: Roles) -> anyhow::Result<Self> {
        let pool = store::connect_lazy(&settings.database)?;
        Self::build_with_pool(settings, pool, roles).await
    }

    pub async fn build_with_pool(settings: Settings, pool: PgPool, roles: Roles) -> anyhow::Result<Self> {
        let listener = match roles.web {
            true => Some(
                TcpListener::bind(settings.http.bind)
                    .await
                    .with_context(|| format!("http.bind: cannot listen on {}", settings.http.bind))?,
            ),
            false => None,
        };
        Self::build_with_listener(settings, pool, listener, roles)
    }

    /// For tests: the caller binds port 0 first so `http.public_url` can name it.
    pub fn build_with_listener(
        settings: Settings,
        pool: PgPool,
        listener: Option<TcpListener>,
        roles: Roles,
    ) -> anyhow::Result<Self> {
        let catalog = Arc::new(Catalog::load(&settings.catalog.path)?);
        // Parse the interface words now, so a message a locale lacks is
        // logged once, at start-up, rather than on the first page.
        crate::i18n::texts();
        let links = Links::new(settings.public_url(), LinkSigner::new(&settings.security.link_keys)?);
        let mailer = Arc::new(Mailer::from_settings(&settings.mail)?);
        let lines = OperatorLines::from(&settings.content);
        let announced = settings.inbound.announced_domain(&settings.mail.from)?;
        let composer = Composer::new(links.clone(), catalog.clone(), lines.clone(), &mailer.from_domain());
        let composer = Arc::new(composer.with_inbound(announced));
        let scheduling = Scheduling { jitter: settings.schedule.jitter.as_chrono() };
        let stale_after = settings.schedule.stale_after.as_chrono();
        let metrics = Arc::new(Metrics::default());
        let planner = Planner::new(PlannerParts {
            pool: pool.clone(),
            catalog: catalog.clone(),
            scheduling,
            stale_after,
            batch: settings.schedule.plan_batch,
            workers: settings.schedule.plan_workers,
            metrics: metrics.clone(),
        });
        let sender = Sender::new(SenderParts {
            pool: pool.clone(),
            mailer,
            composer,
            settings: settings.sender.clone(),
            stale_after,
            metrics: metrics.clone(),
        });
        let metrics_listener = bind_metrics(&settings)?;
        let sealer = Sealer::new(&settings.security.promise_keys()?)?;
        let answers = Answers::start(&pool, scheduling);
        let inbound = match settings.inbound.bind_addr()? {
            Some(addr) => Some((
                bind_inbound(addr)?,
                Inbound::new(InboundParts {
                    pool: pool.clone(),
                    signer: links.signer().clone(),
                    domain: settings.inbound.domain(&settings.mail.from)?,
                    answers: answers.clone(),
                    scheduling,
                    metrics: metrics.clone(),
                    settings: settings.inbound.clone(),
                }),
            )),
            None => None,
        };
        let state = AppState::new(Shared {
            pool,
            links,
            catalog,
            lines,
            scheduling,
            sealer,
            answers,
            metrics,
            settings: Arc::new(settings),
        });
        Ok(Self { listener, metrics_listener, state, planner, sender, roles, inbound })
    }

    /// The port the inbound listener listens on, if it runs (useful with
    /// `inbound.bind = "127.0.0.1:0"`).
    pub fn inbound_port(&self) -> Option<u16> {
        self.inbound.as_ref().and_then(|(l, _)| l.local_addr().ok()).map(|a| a.port())
    }

    /// The port the web role listens on (useful with `http.bind = "127.0.0.1:0"`).
    pub fn port(&self) -> Option<u16> {
        self.listener.as_ref().and_then(|l| l.local_addr().ok()).map(|a| a.port())
    }

    /// The port the metrics listener is on, if `metrics.bind` is set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_listener.as_ref().and_then(|l| l.local_addr().ok()).map(|a| a.port())
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn planner(&self) -> &Planner {
        &self.planner
    }

    pub fn sender(&self) -> &Sender {
        &self.sender
    }

    /// The counters every part of this application counts into.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.state.metrics
    }

    /// Runs the chosen roles until `shutdown` is cancelled, then waits for
    /// each to drain: the server finishes open requests, the sender the sends
    /// already on the wire (and releases the claims it had not started). The
    /// wait is bounded by the grace period, `mail.timeout` plus a few seconds
    /// to record the outcomes: past it, whatever is left is abandoned and its
    /// claims are rescued when their leases run out.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let grace = self.state.settings.mail.timeout.as_std() + SHUTDOWN_SLACK;
        let tracker = TaskTracker::new();
        let settings = &self.state.settings;
        let limits = ConnectionLimits {
            header_timeout: settings.http.header_timeout.as_std(),
            max_connections: settings.http.max_connections,
        };
        if let Some(listener) = self.listener {
            tracker.spawn(serve(listener, http::router(self.state.clone()), limits, shutdown.clone()));
        }
        if let Some(listener) = self.metrics_listener {
            listener.set_nonblocking(true).context("metrics.bind: cannot use the listener")?;
            let listener = TcpListener::from_std(listener).context("metrics.bind: cannot use the listener")?;
            let router = http::metrics::router(self.state.metrics.clone(), &settings.metrics.token);
            let limits = ConnectionLimits { max_connections: METRICS_CONNECTIONS, ..limits };
            tracker.spawn(serve(listener, router, limits, shutdown.clone()));
            let refresh = settings.metrics.refresh.as_std();
            let (metrics, pool) = (self.state.metrics.clone(), self.state.pool.clone());
            tracker.spawn(refresh_every(metrics, pool, refresh, shutdown.clone()));
        }
        if let Some((listener, inbound)) = self.inbound {
            tracker.spawn(inbound.serve(listener, shutdown.clone(), tracker.clone()));
        }
        if self.roles.sender {
            tracker.spawn(self.sender.clone().start_on_own_thread(shutdown.clone())?);
        }
        if self.roles.scheduler {
            let jobs = scheduler::Jobs {
                planner: self.planner.clone(),
                pool: self.state.pool.clone(),
                metrics: self.state.metrics.clone(),
                pending_ttl: self.state.settings.subscribe.pending_ttl.as_chrono(),
            };
            scheduler::start(jobs, shutdown.clone(), &tracker).await?;
        }
        tracker.close();
        let overdue = async {
            shutdown.cancelled().await;
            tokio::time::sleep(grace).await;
        };
        tokio::select! {
            () = tracker.wait() => tracing::info!("stopped"),
            () = overdue => tracing::warn!(tasks = tracker.len(), ?grace, "grace period over; stopping without them"),
        }
        Ok(())
    }
}

/// Binds `metrics.bind` now, so a taken port stops start-up with its key.
/// A listener others can reach without `metrics.token` is allowed (a
/// private network, a scraper in the next container) but logged.
fn bind_metrics(settings: &Settings) -> anyhow::Result<Option<std::net::TcpListener>> {
    let Some(addr) = settings.metrics.bind.0 else { return Ok(None) };
    if !addr.ip().is_loopback() && settings.metrics.token.expose_secret().is_empty() {
        tracing::warn!(%addr, "metrics.bind is reachable from other machines and metrics.token is empty");
    }
    let listener =
        std::net::TcpListener::bind(addr).with_context(|| format!("metrics.bind: cannot listen on {addr}"))?;
    Ok(Some(listener))
}

/// Binds the inbound listener at build time, so a taken port stops start-up
/// with the key's name (callers are inside the Tokio runtime).
fn bind_inbound(addr: std::net::SocketAddr) -> anyhow::Result<TcpListener> {
    let listener =
        std::net::TcpListener::bind(addr).with_context(|| format!("inbound.bind: cannot listen on {addr}"))?;
    listener.set_nonblocking(true).context("inbound.bind: cannot make the socket non-blocking")?;
    TcpListener::from_std(listener).context("inbound.bind: cannot hand the socket to the runtime")
}
