#!/usr/bin/env bash
# Starts (or reuses) a private PostgreSQL cluster for trying tend out and for
# the test suite: data under .local/pg, listening on 127.0.0.1:${TEND_PG_PORT:-5544}
# only, trust authentication for the local "postgres" role. Idempotent.
#
# As root the server runs as the `postgres` system user (PostgreSQL refuses to
# run as root); otherwise it runs as you. If the PostgreSQL binaries are
# missing and we are root, they are installed from the distribution.
#
# As root, when the `postgres` user cannot reach .local/pg (a clone in /root,
# mode 0700, say), the data lives in /var/tmp/tend-pg-HASH instead, owned by
# postgres, HASH being that of the .local/pg path: the same checkout always
# finds the same cluster. The script never changes your folders' permissions.
#
#   deploy/local/postgres.sh          start, print the DATABASE_URL to use
#   deploy/local/postgres.sh stop     stop it
#
# Other clusters (the benchmark's, benches/setup.sh) reuse it with:
#   TEND_PG_NAME      folder under .local (default pg)
#   TEND_PG_SETTINGS  postgresql.conf lines for a new cluster (default: the
#                     disposable development settings below)
#   TEND_PG_DATABASE  database to create and print (default tend; empty:
#                     print the server's URL)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
port=${TEND_PG_PORT:-5544}
name=${TEND_PG_NAME:-pg}
database=${TEND_PG_DATABASE-tend}
dir="$root/.local/$name"
default_settings="shared_buffers = 256MB
# A disposable development cluster: durability is traded for speed.
fsync = off
synchronous_commit = off
full_page_writes = off"
settings=${TEND_PG_SETTINGS:-$default_settings}

find_bindir() {
    local dir
    for dir in /usr/lib/postgresql/*/bin /usr/pgsql-*/bin /usr/local/pgsql/bin; do
        [ -x "$dir/pg_ctl" ] && { echo "$dir"; return 0; }
    done
    command -v pg_ctl >/dev/null 2>&1 && { dirname "$(command -v pg_ctl)"; return 0; }
    return 1
}

bindir=$(find_bindir || true)
if [ -z "$bindir" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "postgres.sh: installing PostgreSQL from the distribution" >&2
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
        bindir=$(find_bindir)
    else
        echo "postgres.sh: PostgreSQL is not installed; run: sudo apt-get install postgresql" >&2
        exit 1
    fi
fi

# Run a PostgreSQL tool as the cluster's owner.
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# Where the data lives (see the top): decided the same way for start and stop.
if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /usr/sbin/nologin postgres
    outside="/var/tmp/tend-pg-$(printf '%s' "$dir" | sha256sum | cut -c1-16)"
    mkdir -p "$dir"
    if [ -f "$outside/data/PG_VERSION" ] || ! runuser -u postgres -- test -x "$dir" 2>/dev/null; then
        dir=$outside
    fi
fi
data="$dir/data"
log="$dir/server.log"

if [ "${1:-start}" = stop ]; then
    [ -f "$data/postmaster.pid" ] && as_owner "$bindir/pg_ctl" -D "$data" -m fast stop >/dev/null
    exit 0
fi

mkdir -p "$dir"
if [ "$(id -u)" = 0 ]; then
    chown postgres "$dir"
    chmod 0700 "$dir"
fi

if [ ! -f "$data/PG_VERSION" ]; then
    case "$dir" in
    "$root"/*) ;;
    *) echo "postgres.sh: the postgres user cannot reach $root/.local/$name, so the cluster lives in $dir" >&2 ;;
    esac
    as_owner "$bindir/initdb" -D "$data" -U postgres -A trust -E UTF8 --no-locale >/dev/null
    cat >>"$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 300
$settings
CONF
fi

# The port is fixed when the cluster is made: asked for another, say so
# rather than print a URL where nothing listens (or another cluster does).
configured=$(sed -n 's/^port = \([0-9]*\).*/\1/p' "$data/postgresql.conf" | tail -n 1)
if [ -n "$configured" ] && [ "$configured" != "$port" ]; then
    echo "postgres.sh: the cluster in $data listens on port $configured, not $port (TEND_PG_PORT);" >&2
    echo "  use TEND_PG_PORT=$configured, or give a second cluster its own TEND_PG_NAME" >&2
    exit 1
fi

if ! as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    as_owner "$bindir/pg_ctl" -D "$data" -l "$log" -w -t 60 start >/dev/null
fi

url="postgres://postgres@127.0.0.1:$port"
for _ in $(seq 1 50); do
    "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" && break
    sleep 0.2
done
if [ -z "$database" ]; then
    echo "$url"
    exit 0
fi
"$bindir/psql" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc "select 1 from pg_database where datname = '$database'" | grep -q 1 ||
    "$bindir/psql" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "create database \"$database\"" >/dev/null
echo "$url/$database"
