//! The `tend` command line: serve, migrate, check-config, subscriber admin,
//! key maintenance, and the operators' stats, send-test and healthcheck.
//!
//! Exit status: 0 success, 1 a runtime failure (database, I/O), 2 bad usage,
//! configuration or argument (the message names the bad value).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::startup::{Application, Roles};
use crate::store;
use crate::{shutdown, telemetry};

mod catalog;
mod data_rights;
mod healthcheck;
pub mod import;
mod keys;
mod progress;
mod send_test;
mod simulate;
mod stats;
mod subscriber;

#[derive(Debug, Parser)]
#[command(name = "tend", version, about = "Gentle, spaced email nudges for rebuilding a partner's trust")]
pub struct Cli {
    /// A configuration file layered over the defaults (environment still wins).
    #[arg(long, env = "TEND_CONFIG", global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the web pages, the scheduler and the sender.
    Serve {
        #[arg(long)]
        no_web: bool,
        #[arg(long)]
        no_scheduler: bool,
        #[arg(long)]
        no_sender: bool,
    },
    /// Apply database migrations.
    Migrate,
    /// Print the effective configuration (secrets redacted) and check it.
    CheckConfig,
    /// Check the nudge catalog against the content rubric, or preview it.
    #[command(subcommand)]
    Catalog(catalog::CatalogCommand),
    /// Manage subscribers.
    #[command(subcommand)]
    Subscriber(subscriber::SubscriberCommand),
    /// Key maintenance: reseal promise texts after a new promise key.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Summarise subscribers, due work, recent deliveries and answer rates.
    Stats {
        /// Answer rates cover nudges sent in this many days.
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3650))]
        days: u32,
    },
    /// Send one sample nudge through the configured transport and report the reply.
    SendTest {
        email: String,
        /// The track whose first nudge is sent (default check-in).
        #[arg(long)]
        track: Option<String>,
    },
    /// Print (and optionally draw) the nudges a subscriber would receive.
    Simulate(simulate::SimulateArgs),
    /// Ask the server at http.bind for /healthz (or /readyz); exit 0 if it answers 200.
    Healthcheck {
        #[arg(long)]
        ready: bool,
    },
}

/// A failure caused by what the user typed, as opposed to the environment.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct UsageError(pub(crate) String);

pub async fn run(cli: Cli) -> ExitCode {
    match dispatch(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            if err.downcast_ref::<UsageError>().is_some() { ExitCode::from(2) } else { ExitCode::FAILURE }
        }
    }
}

async fn dispatch(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(cli.config.as_deref()).map_err(|e| UsageError(format!("{e:#}")))?;
    telemetry::init(!settings.is_local());
    match cli.command {
        Command::Serve { no_web, no_scheduler, no_sender } => {
            let roles = Roles { web: !no_web, scheduler: !no_scheduler, sender: !no_sender };
            serve(settings, roles).await
        }
        Command::Migrate => {
            let pool = store::connect_lazy(&settings.database)?;
            store::migrate(&pool).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::CheckConfig => check_config(&settings),
        Command::Catalog(command) => catalog::run(&settings, command),
        Command::Subscriber(command) => subscriber::run(settings, command).await,
        Command::Keys(command) => keys::run(&settings, command).await,
        Command::Stats { days } => stats::run(&store::connect_lazy(&settings.database)?, days).await,
        Command::SendTest { email, track } => send_test::run(&settings, &email, track.as_deref()).await,
        Command::Simulate(args) => simulate::run(&settings, args),
        Command::Healthcheck { ready } => healthcheck::run(settings.http.bind, ready).await,
    }
}

async fn serve(settings: Settings, roles: Roles) -> anyhow::Result<()> {
    let public_url = settings.public_url().to_owned();
    let local = settings.is_local();
    let app = Application::build(settings, roles).await?;
    if let Some(port) = app.port() {
        tracing::info!(port, "listening");
        println!("tend is running: open {public_url}/ to subscribe");
        if local {
            println!("mail goes to the outbox: {public_url}/outbox");
        }
    }
    app.run_until_stopped(shutdown::on_signals()?).await
}

fn check_config(settings: &Settings) -> anyhow::Result<()> {
    crate::mail::Catalog::load(&settings.catalog.path).map_err(|e| UsageError(format!("{e:#}")))?;
    crate::mail::Mailer::from_settings(&settings.mail).map_err(|e| UsageError(format!("{e:#}")))?;
    print!("{}", settings.redacted_toml()?);
    eprintln!("configuration is valid");
    Ok(())
}
