//! Integration tests: the real service on port 0, a fresh PostgreSQL
//! database per test (`#[sqlx::test]`) and an in-process SMTP stub.

mod answers;
mod bad_input;
mod browser;
mod catalog;
mod cli;
mod engine;
mod faults;
mod flow;
mod helpers;
mod kinds;
mod links;
mod logs;
mod nudges;
mod operations;
mod operators;
mod preferences;
mod promises;
mod stub_smtp;
mod webdriver;
