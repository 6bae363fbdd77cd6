//! `tend subscriber ...`: operators' view of subscribers.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;

use super::UsageError;
use super::{data_rights, import};
use crate::config::Settings;
use crate::domain::Scheduling;
use crate::domain::{Locale, SubscriberEmail, TimeOfDay, TimeZone, Track, TrackSet};
use crate::store::{self, subscribers::Preferences};
use crate::subscriptions::{self, SubscribeOutcome, SubscribeRequest};

#[derive(Debug, Subcommand)]
pub enum SubscriberCommand {
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
        /// Discreet mail: a neutral From name, subjects and first line.
        #[arg(long)]
        discreet: bool,
        /// The language of their mails and pages: en, de or es.
        #[arg(long, default_value = "en")]
        locale: String,
    },
    /// Show one subscriber and their tracks.
    Show { email: String },
    /// List subscribers.
    List {
        #[arg(long, default_value_t = 1000)]
        limit: i64,
    },
    /// Print everything held about one subscriber as JSON (counts on stderr).
    Export { email: String },
    /// Erase one subscriber's data; only an anonymous erasure record remains.
    Forget { email: String },
    /// Add subscribers from a CSV file with the header email,timezone,time,tracks
    /// and optionally discreet and locale (tracks separated by ';'; discreet on,
    /// off, true, false, yes or no; locale en, de or es; empty fields take the
    /// defaults). Known addresses are
    /// left alone; new ones confirm by email unless --preconfirmed.
    Import {
        file: PathBuf,
        #[arg(long)]
        preconfirmed: bool,
    },
}

pub async fn run(settings: Settings, command: SubscriberCommand) -> anyhow::Result<()> {
    let pool = store::connect_lazy(&settings.database)?;
    let scheduling = Scheduling { jitter: settings.schedule.jitter.as_chrono() };
    match command {
        SubscriberCommand::Add { email, timezone, time, tracks, preconfirmed, discreet, locale } => {
            let usage = |e: &dyn std::fmt::Display| UsageError(e.to_string());
            let email = SubscriberEmail::parse(&email).map_err(|e| usage(&format!("{email:?}: {e}")))?;
            let zone = TimeZone::parse(&timezone).map_err(|e| usage(&e))?;
            let time = TimeOfDay::parse(&time).map_err(|e| usage(&e))?;
            let locale = Locale::parse_supported(&locale).map_err(|e| usage(&e))?;
            let tracks = match tracks.is_empty() {
                true => Track::defaults(),
                false => TrackSet::parse(tracks.iter().map(String::as_str)).map_err(|e| usage(&e))?,
            };
            let request = SubscribeRequest {
                email: email.clone(),
                preferences: Preferences { zone, time, max_per_day: settings.schedule.max_per_day, discreet, locale },
                tracks,
                preconfirmed,
                invitation: None,
            };
            let outcome = subscriptions::subscribe(&pool, request, scheduling).await?;
            println!(
                "{email}: {}",
                match outcome {
                    SubscribeOutcome::ConfirmationQueued { .. } => "confirmation mail queued",
                    SubscribeOutcome::Activated { .. } => "active",
                    SubscribeOutcome::AlreadySubscribed { .. } => "already subscribed; nothing changed",
                    SubscribeOutcome::RateLimited =>
                        "not added: that inbox has had its confirmation mails for now (3 a day, 1 a week after an unsubscribe)",
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
            println!("discreet:    {}", if subscriber.discreet { "on" } else { "off" });
            println!("locale:      {}", subscriber.locale);
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
        SubscriberCommand::Export { email } => {
            let sealer = crate::sealing::Sealer::new(&settings.security.promise_keys()?)?;
            data_rights::export(&pool, &sealer, &email).await
        }
        SubscriberCommand::Forget { email } => data_rights::forget(&pool, &settings.mail.outbox_dir, &email).await,
        SubscriberCommand::Import { file, preconfirmed } => {
            let options =
                import::ImportOptions { preconfirmed, max_per_day: settings.schedule.max_per_day, scheduling };
            import::run(&pool, &file, options).await
        }
    }
}
