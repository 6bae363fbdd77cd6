#!/usr/bin/env bash
# Installs what the benchmarks need (Postfix's smtp-sink and smtp-source, wrk,
# PostgreSQL) and starts the benchmark PostgreSQL cluster. Idempotent; as root
# it installs missing Debian packages non-interactively (Postfix is preseeded
# to "No configuration", so no daemon is set up or started).
#
# The cluster is started by deploy/local/postgres.sh but is separate from the
# test cluster (fsync off): data under .local/bench-pg, port 5547 (another
# port from TEND_BENCH_PG_PORT: .local/bench-pg-PORT),
# and production-like durability: fsync, synchronous_commit and
# full_page_writes stay on (PostgreSQL's defaults). Prints the admin URL.
#
#   benches/setup.sh          install, start, print the URL
#   benches/setup.sh stop     stop the cluster
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
# The cluster itself is deploy/local/postgres.sh's, with other settings. A
# port other than 5547 is a second cluster with its own data directory
# (.local/bench-pg-PORT), for comparing two builds side by side.
port=${TEND_BENCH_PG_PORT:-5547}
name=bench-pg
[ "$port" = 5547 ] || name=bench-pg-$port
cluster() {
    TEND_PG_NAME=$name TEND_PG_PORT=$port TEND_PG_DATABASE="" \
        TEND_PG_SETTINGS="shared_buffers = 512MB
max_wal_size = 4GB
# Durable, as in production: fsync, synchronous_commit and full_page_writes
# keep their defaults (on)." "$root/deploy/local/postgres.sh" "$@"
}

if [ "${1:-start}" = stop ]; then
    cluster stop
    exit 0
fi

missing=()
command -v smtp-sink >/dev/null 2>&1 || [ -x /usr/sbin/smtp-sink ] || missing+=(postfix)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "setup.sh: missing ${missing[*]}; run: sudo apt-get install ${missing[*]}" >&2
        exit 1
    fi
    echo "setup.sh: installing ${missing[*]}" >&2
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
cluster
