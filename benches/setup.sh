#!/usr/bin/env bash
# Installs what the benchmarks need (Postfix's smtp-sink and smtp-source, wrk,
# PostgreSQL) and starts the benchmark PostgreSQL cluster. Idempotent; as root
# it installs missing Debian packages non-interactively (Postfix is preseeded
# to "No configuration", so no daemon is set up or started).
#
# The cluster is separate from the test cluster (deploy/local/postgres.sh,
# fsync off): data under .local/bench-pg, port ${TEND_BENCH_PG_PORT:-5547},
# and production-like durability: fsync, synchronous_commit and
# full_page_writes stay on (PostgreSQL's defaults). Prints the admin URL.
#
#   benches/setup.sh          install, start, print the URL
#   benches/setup.sh stop     stop the cluster
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
port=${TEND_BENCH_PG_PORT:-5547}
data="$root/.local/bench-pg/data"
log="$root/.local/bench-pg/server.log"

as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

find_bindir() {
    local dir
    for dir in /usr/lib/postgresql/*/bin /usr/pgsql-*/bin /usr/local/pgsql/bin; do
        [ -x "$dir/pg_ctl" ] && { echo "$dir"; return 0; }
    done
    return 1
}

if [ "${1:-start}" = stop ]; then
    bindir=$(find_bindir || true)
    [ -n "$bindir" ] && [ -f "$data/postmaster.pid" ] && as_owner "$bindir/pg_ctl" -D "$data" -m fast stop >/dev/null
    exit 0
fi

missing=()
command -v smtp-sink >/dev/null 2>&1 || [ -x /usr/sbin/smtp-sink ] || missing+=(postfix)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
find_bindir >/dev/null || missing+=(postgresql)
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
export PATH="$PATH:/usr/sbin"
bindir=$(find_bindir)

mkdir -p "$root/.local/bench-pg"
if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /usr/sbin/nologin postgres
    chown postgres "$root/.local/bench-pg"
    chmod o+x "$root" "$root/.local" 2>/dev/null || true
fi
if [ ! -f "$data/PG_VERSION" ]; then
    as_owner "$bindir/initdb" -D "$data" -U postgres -A trust -E UTF8 --no-locale >/dev/null
    cat >>"$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$root/.local/bench-pg'
max_connections = 300
shared_buffers = 512MB
max_wal_size = 4GB
# Durable, as in production: fsync, synchronous_commit and full_page_writes
# keep their defaults (on).
CONF
fi
if ! as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    as_owner "$bindir/pg_ctl" -D "$data" -l "$log" -w -t 60 start >/dev/null
fi
for _ in $(seq 1 50); do
    "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" && break
    sleep 0.2
done
echo "postgres://postgres@127.0.0.1:$port"
