//! The `tend` command line: serve, migrate, check-config and subscriber admin.
//!
//! Exit status: 0 success, 1 a runtime failure (database, I/O), 2 bad usage,
//! configuration or argument (the message names the bad value).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::domain::{SubscriberEmail, TimeOfDay, TimeZone, Track, TrackSet};
use crate::startup::{Application, Roles};
use crate::store::{self, subscribers::Preferences};
use crate::subscriptions::{self, Scheduling, SubscribeOutcome, SubscribeRequest};
use crate::{shutdown, telemetry};

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
    /// Manage subscribers.
    #[command(subcommand)]
    Subscriber(SubscriberCommand),
}

#[derive(Debug, Subcommand)]
enum SubscriberCommand {
    /// Add a subscriber; they confirm by email unless --preconfirmed.
    Add {
        email: String,
        #[arg(long, default_value = "UTC")]
        timezone: String,
        #[arg(long, default_value = "08:30")]
        time: String,
        /// Comma-separated track keys; default: check-in,follow-through,transparency.
        #[arg(long, value_delimiter = ',')]
        tracks: Vec<String>,
        #[arg(long)]
        preconfirmed: bool,
    },
    /// Show one subscriber and their tracks.
    Show { email: String },
    /// List subscribers.
    List {
        #[arg(long, default_value_t = 1000)]
        limit: i64,
    },
}

/// A failure caused by what the user typed, as opposed to the environment.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct UsageError(String);

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
        Command::Subscriber(command) => subscriber(settings, command).await,
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

async fn subscriber(settings: Settings, command: SubscriberCommand) -> anyhow::Result<()> {
    let pool = store::connect_lazy(&settings.database)?;
    let scheduling = Scheduling { jitter: settings.schedule.jitter.as_chrono() };
    match command {
        SubscriberCommand::Add { email, timezone, time, tracks, preconfirmed } => {
            let usage = |e: &dyn std::fmt::Display| UsageError(e.to_string());
            let email = SubscriberEmail::parse(&email).map_err(|e| usage(&format!("{email:?}: {e}")))?;
            let zone = TimeZone::parse(&timezone).map_err(|e| usage(&e))?;
            let time = TimeOfDay::parse(&time).map_err(|e| usage(&e))?;
            let tracks = match tracks.is_empty() {
                true => Track::defaults(),
                false => TrackSet::parse(tracks.iter().map(String::as_str)).map_err(|e| usage(&e))?,
            };
            let request = SubscribeRequest {
                email: email.clone(),
                preferences: Preferences { zone, time, max_per_day: settings.schedule.max_per_day },
                tracks,
                preconfirmed,
            };
            let outcome = subscriptions::subscribe(&pool, request, scheduling).await?;
            println!(
                "{email}: {}",
                match outcome {
                    SubscribeOutcome::ConfirmationQueued { .. } => "confirmation mail queued",
                    SubscribeOutcome::Activated { .. } => "active",
                    SubscribeOutcome::AlreadySubscribed { .. } => "already subscribed; nothing changed",
                    SubscribeOutcome::RateLimited { .. } =>
                        "pending; confirmation limit for today reached, no mail queued",
                }
            );
            Ok(())
        }
        SubscriberCommand::Show { email } => {
            let email = SubscriberEmail::parse(&email).map_err(|e| UsageError(format!("{email:?}: {e}")))?;
            let subscriber = store::subscribers::find_by_email(&pool, &email)
                .await?
                .ok_or_else(|| UsageError(format!("no subscriber with address {email}")))?;
            println!("email:       {}", subscriber.email);
            println!("status:      {}", subscriber.status.key());
            println!("time zone:   {}", subscriber.zone);
            println!("time:        {}", subscriber.time);
            println!("max per day: {}", subscriber.max_per_day);
            println!("since:       {}", subscriber.created_at.format("%Y-%m-%d %H:%M UTC"));
            for track in store::tracks::list(&pool, subscriber.id).await.context("failed to load tracks")? {
                let next =
                    track.next_due_at.map_or_else(|| "-".to_owned(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string());
                let state = if track.enabled { "on " } else { "off" };
                println!("track {:<15} {state} every {:>2} d, next {next}", track.track.key(), track.interval_days);
            }
            Ok(())
        }
        SubscriberCommand::List { limit } => {
            for s in store::subscribers::list(&pool, limit).await? {
                println!("{}\t{}\t{}\t{}", s.email, s.status.key(), s.zone, s.time);
            }
            Ok(())
        }
    }
}
