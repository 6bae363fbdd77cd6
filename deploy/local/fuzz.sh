#!/usr/bin/env bash
# Property-based fuzzing (tests/fuzz): every parser and every form handler
# with arbitrary bytes and arbitrary UTF-8, PROPTEST_CASES cases per target
# (default 100,000), in release mode, against the local PostgreSQL cluster
# (deploy/local/postgres.sh; each handler target makes a database of its own
# and drops it). The normal suite runs the same targets with 64 cases.
#
# A failing case's seed lands in tests/fuzz/regressions/TARGET.txt and is
# replayed first on every later run: commit it with the fix, and add the
# input to tests/api/bad_input.rs.
set -euo pipefail
cd "$(dirname "$0")/../.."

url=$(deploy/local/postgres.sh)
export DATABASE_URL="${url%/*}/postgres"
export SQLX_OFFLINE=true
export PROPTEST_CASES=${PROPTEST_CASES:-100000}
started=$(date +%s)
cargo test --release --locked --test fuzz
echo "fuzz.sh: $PROPTEST_CASES cases per target in $(($(date +%s) - started)) s (build included)" >&2
