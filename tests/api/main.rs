//! Integration tests: the real service on port 0, a fresh PostgreSQL
//! database per test (`#[sqlx::test]`), mail read from an in-process SMTP
//! stub (`stub_smtp`), and, in `relays`, real Postfix relays (STARTTLS,
//! implicit TLS, AUTH through Dovecot, 4xx and 5xx) started by each test.

mod answers;
mod bad_input;
mod browser;
mod catalog;
mod claim_queue;
mod cli;
mod cross_site;
mod discreet;
mod engine;
mod erasure;
mod faults;
mod flow;
mod helpers;
mod inbound;
mod kinds;
mod languages;
mod least_privilege;
mod limits;
mod links;
mod logs;
mod metrics;
mod nudges;
mod operations;
mod operators;
mod partners;
mod planning;
mod preferences;
mod promises;
mod relays;
mod revocation;
mod sealing;
mod slow_clients;
mod stub_smtp;
mod webdriver;
