#!/usr/bin/env bash
# Try tend on this machine: start a private PostgreSQL (deploy/local/postgres.sh),
# build, migrate and serve with mail written to ./outbox. Open the printed URL;
# every email shows up at /outbox with clickable links. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/../.."

DATABASE_URL=$(deploy/local/postgres.sh)
export DATABASE_URL
# Queries are checked against the committed .sqlx data: no database needed to build.
export SQLX_OFFLINE=true
cargo build --release --locked --bin tend
./target/release/tend migrate
exec ./target/release/tend serve "$@"
