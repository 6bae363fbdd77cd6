//! tend: a self-hosted daemon that turns the six steps of rebuilding a
//! partner's trust into gentle, spaced email nudges.
//!
//! People subscribe by email (double opt-in), answer each nudge through links
//! in the mail, and those answers steer when each habit comes back. Every
//! email goes through an outbox table in PostgreSQL, written in the same
//! transaction as the change that caused it, and is claimed and sent by a
//! fenced, lease-based sender.
//!
//! # Layout
//!
//! `ARCHITECTURE.md` has the map: layers, the direction of dependencies, and
//! where each kind of change goes.
//!
//! - [`domain`]: parsed values (email, zone, time, track, token, delivery
//!   kind), what a mail is composed from, and the pure rules (spacing
//!   engine, slots, planning). No I/O, no clock.
//! - [`store`]: every SQL statement, as plain functions over sqlx; claimed
//!   rows come out parsed, and `store::mail_context` loads what a mail needs.
//! - [`subscriptions`]: the state changes (subscribe, confirm, answer,
//!   unsubscribe, preferences), each one transaction (answers: one fenced
//!   statement per batch).
//! - [`batch`]: group commit for handlers, so concurrent answers share a
//!   statement.
//! - [`planner`]: turns due tracks into queued nudges.
//! - [`sender`]: claims, sends and records deliveries.
//! - [`scheduler`]: the few periodic jobs that drive planner and rescue.
//! - [`mail`]: the catalog and its lint, the pure composer, transports.
//! - [`http`]: pages, their one error type, health and metrics.
//! - [`i18n`]: the interface words (Fluent files per locale) and dates.
//! - [`inbound`]: the SMTP listener for replies, bounces and complaints.
//! - [`metrics`]: one set of counters per application (deliveries, planning,
//!   HTTP requests, send latency) and the database gauges.
//! - [`progress`]: heatmaps and the weekly summary's sentences (pure).
//! - [`links`]: the signed URLs every email carries.
//! - [`config`], [`telemetry`], [`shutdown`], [`startup`], [`cli`]: wiring.

#![forbid(unsafe_code)]

pub mod batch;
pub mod cli;
pub mod config;
pub mod domain;
pub mod http;
pub mod i18n;
pub mod inbound;
pub mod links;
pub mod mail;
pub mod metrics;
pub mod planner;
pub mod progress;
pub mod scheduler;
pub mod sealing;
pub mod sender;
pub mod shutdown;
pub mod simulate;
pub mod startup;
pub mod store;
pub mod subscriptions;
pub mod telemetry;
