#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit tests and integration tests
# against a real PostgreSQL (a fresh database per test) and real SMTP over TCP.
set -euo pipefail
cd "$(dirname "$0")/../.."

url=$(deploy/local/postgres.sh)
# sqlx::test creates and drops one database per test through this server.
export DATABASE_URL="${url%/*}/postgres"
export SQLX_OFFLINE=true

cargo fmt --all -- --check
cargo clippy --locked --all-targets -- -D warnings
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --locked --no-fail-fast
else
    cargo test --locked --no-fail-fast
fi
