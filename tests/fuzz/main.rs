//! Property-based fuzzing of every parser and every form handler, with
//! arbitrary bytes and arbitrary UTF-8 (and, around them, inputs shaped
//! enough to get past the first check).
//!
//! - `parsers`: every `parse` a person or an operator can reach (domain
//!   values, the import file, configuration values, the SMTP URL, link
//!   tokens, inbound mail and its reply and bounce addresses): no panic, and
//!   what parses prints back to itself.
//! - `handlers`: every route that reads input, driven in-process through
//!   the real router (`tower::ServiceExt::oneshot`) against a fresh
//!   PostgreSQL database: never a 5xx, never a panic.
//!
//! Cases per target: `PROPTEST_CASES`, 64 when unset (the normal suite).
//! CI runs `deploy/local/fuzz.sh`: 100,000 per target, in release mode.
//! A failing case's seed is written to `tests/fuzz/regressions/TARGET.txt`
//! and replayed first on every later run; the findings fixed so far are
//! also plain cases in `tests/api/bad_input.rs`, over TCP.

mod handlers;
mod harness;
mod parsers;
