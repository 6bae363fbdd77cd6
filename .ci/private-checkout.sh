#!/usr/bin/env bash
# A newcomer's first step as root, checked: clone tend into a private folder
# under /root (mode 0700, which the `postgres` user cannot enter), start the
# local cluster with deploy/local/postgres.sh, connect to the URL it prints,
# ask it for another port (refused, naming both ports), stop it. Fails if
# postgres.sh cannot run PostgreSQL for such a checkout.
# Uses port ${TEND_PG_PORT_PRIVATE:-5548}; leaves nothing behind.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "private-checkout.sh: needs root (it clones under /root)" >&2; exit 1; }
port=${TEND_PG_PORT_PRIVATE:-5548}

home=$(mktemp -d /root/tend-private-XXXXXX) # mktemp makes it 0700
clone="$home/tend"
data_outside="/var/tmp/tend-pg-$(printf '%s' "$clone/.local/pg" | sha256sum | cut -c1-16)"
cleanup() {
    TEND_PG_PORT=$port "$clone/deploy/local/postgres.sh" stop 2>/dev/null || true
    rm -rf "$home" "$data_outside"
}
trap cleanup EXIT

git clone -q "$src" "$clone"
if runuser -u postgres -- test -x "$clone" 2>/dev/null; then
    echo "private-checkout.sh: the postgres user can enter $clone; the check would prove nothing" >&2
    exit 1
fi

url=$(TEND_PG_PORT=$port "$clone/deploy/local/postgres.sh")
[ "$url" = "postgres://postgres@127.0.0.1:$port/tend" ] || { echo "private-checkout.sh: printed ${url@Q}" >&2; exit 1; }
[ -f "$data_outside/data/PG_VERSION" ] || { echo "private-checkout.sh: no cluster in $data_outside" >&2; exit 1; }
bindir=$(dirname "$(ls /usr/lib/postgresql/*/bin/psql | sort -V | tail -1)")
[ "$("$bindir/psql" "$url" -tAXc 'select 1')" = 1 ]
# Idempotent: a second start reuses the running cluster and prints the same URL.
[ "$(TEND_PG_PORT=$port "$clone/deploy/local/postgres.sh")" = "$url" ]
# The port is fixed when the cluster is made: asking this cluster for another
# port fails, naming both, and prints no URL (nothing would listen there).
other=$((port + 1))
if out=$(TEND_PG_PORT=$other "$clone/deploy/local/postgres.sh" 2>"$home/mismatch.err"); then
    echo "private-checkout.sh: TEND_PG_PORT=$other on a $port cluster succeeded and printed ${out@Q}" >&2
    exit 1
fi
[ -z "$out" ] || { echo "private-checkout.sh: a refused port still printed ${out@Q}" >&2; exit 1; }
grep -q "listens on port $port, not $other" "$home/mismatch.err" ||
    { echo "private-checkout.sh: the refusal does not name both ports:" >&2; cat "$home/mismatch.err" >&2; exit 1; }
[ "$("$bindir/psql" "$url" -tAXc 'select 1')" = 1 ] ||
    { echo "private-checkout.sh: the cluster stopped answering after a refused port" >&2; exit 1; }

TEND_PG_PORT=$port "$clone/deploy/local/postgres.sh" stop
if "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port"; then
    echo "private-checkout.sh: the cluster still answers after stop" >&2
    exit 1
fi
echo "private-checkout.sh: a clone in a private folder under /root runs its cluster from $data_outside: ok"
