#!/usr/bin/env bash
# Smoke version of the delivery benchmark, for CI: 2,000 due nudges sent by
# `tend serve` to Postfix's smtp-sink against the benchmark PostgreSQL. It
# fails on any lost or duplicated message (every row `sent` on its first
# attempt, 2,000 transactions and 2,000 distinct Message-IDs at the sink,
# each one a row's), never on speed. Installs what it needs (postfix,
# PostgreSQL) idempotently through benches/setup.sh; a debug build sharing
# target/ with the test suite keeps it to a few minutes.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}

pg=$(benches/setup.sh)
trap 'benches/setup.sh stop' EXIT

cargo build --quiet --bin tend
cargo build --quiet --manifest-path benches/Cargo.toml
"$CARGO_TARGET_DIR/debug/tend-bench" smoke --pg "$pg" --tend-bin "$CARGO_TARGET_DIR/debug/tend" --work "${TMPDIR:-/tmp}/tend-bench-smoke"
