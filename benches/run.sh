#!/usr/bin/env bash
# The benchmark command (issue 7): builds tend and tend-bench in release
# mode, starts the benchmark PostgreSQL (benches/setup.sh: its own cluster on
# port 5547, fsync on), runs the chosen benchmarks against it and Postfix's
# smtp-sink/smtp-source and wrk on loopback, prints the results table and
# appends it to .local/bench-results.md. Stops the cluster when done.
#
#   benches/run.sh                      everything (delivery, peers, planning, answers)
#   benches/run.sh delivery --n 100000 --runs 5 --instances 1,2,4
#   benches/run.sh planning | answers | peers | metrics | limits
#   benches/run.sh delivery --help      every option
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
what=${1:-all}
[ $# -gt 0 ] && shift
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}

pg=$(benches/setup.sh)
trap 'benches/setup.sh stop' EXIT

features=()
case "$what" in all | peers) features=(--features peers) ;; esac
cargo build --release --quiet --bin tend
cargo build --release --quiet --manifest-path benches/Cargo.toml "${features[@]}"

mkdir -p .local
echo "$(nproc) cores; load before the run: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$CARGO_TARGET_DIR/release/tend-bench" "$what" --pg "$pg" --tend-bin "$CARGO_TARGET_DIR/release/tend" \
    --out "$root/.local/bench-results.md" "$@"
