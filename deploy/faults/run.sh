#!/usr/bin/env bash
# The slow fault scenarios: real `tend serve` processes, Postfix's smtp-sink
# as the relay, and a PostgreSQL cluster of their own (port 5546, data under
# .local/faults; never the shared test cluster on 5544, because these
# scenarios stop and kill it). Each scenario queues N confirmation mails,
# applies its fault, lets tend drain the queue, then counts:
#   lost = rows not sent + sent rows whose Message-ID never reached the sink  (must be 0)
#   dup  = messages in the sink - distinct Message-IDs                       (must be <= bound)
# where bound is the mail the relay can have accepted without tend having
# recorded it when the fault hit: sender.concurrency + sender.record_batch
# per crash (RELIABILITY.md), plus unknown outcomes.
# Results go to stdout and .local/faults/results.md. Installs what it needs
# (postfix) when run as root. See RELIABILITY.md.
#
#   deploy/faults/run.sh            every scenario
#   deploy/faults/run.sh NAME...    some of them (baseline kill9 kill9_after_250 sigterm double_sigterm pg_stop pg_terminate relay_down)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
work="$root/.local/faults"
pg_port=5546
smtp_port=2526
http_port=8546
n=${FAULTS_N:-300}
concurrency=8
record_batch=32
# The most mails one crash can send twice (RELIABILITY.md).
crash_bound=$((concurrency + record_batch))

log() { echo "faults: $*" >&2; }

# ---- set-up ---------------------------------------------------------------
if ! command -v smtp-sink >/dev/null && [ ! -x /usr/sbin/smtp-sink ]; then
    [ "$(id -u)" = 0 ] || { log "smtp-sink missing: apt-get install postfix"; exit 1; }
    log "installing postfix (for smtp-sink)"
    # Preseeded: only the programs, no system mail server configured or started on port 25.
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postfix >/dev/null
fi
sink_bin=$(command -v smtp-sink || echo /usr/sbin/smtp-sink)
bindir=$(dirname "$(ls /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | sort -V | tail -1 || command -v pg_ctl)")
[ -x "$bindir/pg_ctl" ] || { deploy/local/postgres.sh >/dev/null; bindir=$(dirname "$(ls /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -1)"); }

as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
sink_user=nobody
[ "$(id -u)" = 0 ] || sink_user=$(id -un)

mkdir -p "$work"
if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /usr/sbin/nologin postgres
    chmod o+x "$root" "$root/.local" "$work" 2>/dev/null || true
fi
data="$work/pg/data"
mkdir -p "$work/pg"
[ "$(id -u)" = 0 ] && chown postgres "$work/pg"
pg_start() { as_owner "$bindir/pg_ctl" -D "$data" -l "$data/../pg.log" -w -t 60 start >/dev/null; }
pg_stop_immediate() { as_owner "$bindir/pg_ctl" -D "$data" -m immediate stop >/dev/null; }
if [ ! -f "$data/PG_VERSION" ]; then
    mkdir -p "$data"
    [ "$(id -u)" = 0 ] && chown postgres "$data"
    as_owner "$bindir/initdb" -D "$data" -U postgres -A trust -E UTF8 --no-locale >/dev/null
    cat >>"$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '$data'
max_connections = 100
CONF
fi
as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1 || pg_start
psql_() { "$bindir/psql" -qtAX -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $pg_port -U postgres -d tend_faults "$@"; }
"$bindir/psql" -qtAX -h 127.0.0.1 -p $pg_port -U postgres -d postgres -c "drop database if exists tend_faults" -c "create database tend_faults" >/dev/null

tend_bin=${TEND_BIN:-}
if [ -z "$tend_bin" ]; then
    log "building tend"
    SQLX_OFFLINE=true cargo build --locked --quiet --bin tend
    tend_bin="${CARGO_TARGET_DIR:-$root/target}/debug/tend"
fi

export DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/tend_faults"
export TEND__MAIL__TRANSPORT=smtp TEND__MAIL__SMTP_URL="smtp://127.0.0.1:$smtp_port" TEND__MAIL__STARTTLS=none
export TEND__MAIL__TIMEOUT=4s TEND__SENDER__LEASE=6s TEND__SENDER__POLL_INTERVAL=200ms
export TEND__SENDER__BATCH_SIZE=20 TEND__SENDER__CONCURRENCY=$concurrency TEND__SENDER__RETRY_BASE=1s
export TEND__SENDER__RECORD_BATCH=$record_batch TEND__MAIL__POOL_SIZE=$concurrency
export TEND__HTTP__BIND="127.0.0.1:$http_port" TEND__HTTP__PUBLIC_URL="http://127.0.0.1:$http_port"
# Port 0: instances started side by side never collide on the metrics port.
export TEND__METRICS__BIND=127.0.0.1:0
export TEND__DATABASE__CONNECT_TIMEOUT=2s RUST_LOG=${RUST_LOG:-warn}
"$tend_bin" migrate >/dev/null

# ---- the parts ------------------------------------------------------------
sink_pid=""
dump="$work/dump"
start_sink() { # extra smtp-sink options, e.g. -W .:1
    mkdir -p "$dump"
    chmod 777 "$dump"
    "$sink_bin" -u "$sink_user" -d "$dump/%H%M%S." "$@" "127.0.0.1:$smtp_port" 256 2>>"$work/sink.log" &
    sink_pid=$!
    sleep 0.3
}
stop_sink() { if [ -n "$sink_pid" ]; then kill "$sink_pid" 2>/dev/null || true; wait "$sink_pid" 2>/dev/null || true; fi; sink_pid=""; }

tend_pid=""
start_tend() { "$tend_bin" serve >>"$work/tend.log" 2>&1 & tend_pid=$!; }
exit_status=""
wait_exit() { # pid seconds -> sets exit_status (or "running"); not in a subshell: wait needs the parent
    local pid=$1 i
    exit_status=running
    for i in $(seq 1 $(($2 * 10))); do
        if ! kill -0 "$pid" 2>/dev/null; then
            exit_status=0
            wait "$pid" 2>/dev/null || exit_status=$?
            return
        fi
        sleep 0.1
    done
}

seed() { # fresh queue of $1 confirmation mails, due now
    psql_ -c "truncate subscribers, deliveries, suppressed_addresses cascade" \
        -c "insert into subscribers (email, mailbox, timezone, send_time, status)
            select 'f' || g || '@example.com', 'f' || g || '@example.com', 'UTC', '08:30', 'pending' from generate_series(1, $1) g" \
        -c "insert into deliveries (subscriber_id, kind, slot, due_at) select id, 'confirm', now(), now() from subscribers"
    rm -rf "$dump"
}
sent_count() { psql_ -c "select count(*) from deliveries where status = 'sent'"; }
wait_sent() { # until every row is sent (or $1 seconds)
    local i
    for i in $(seq 1 $(($1 * 5))); do
        [ "$(sent_count 2>/dev/null || echo 0)" = "$n" ] && return 0
        sleep 0.2
    done
    return 1
}
wait_some_sent() { # until at least $1 rows are sent (at most 60 s)
    local i
    for i in $(seq 1 1200); do
        [ "$(sent_count 2>/dev/null || echo 0)" -ge "$1" ] && return 0
        sleep 0.05
    done
    log "gave up waiting for $1 sent rows"
}

results="$work/results.md"
failed=0
echo "| scenario | rows | received | lost | dup | bound (in flight + unknown) |" >"$results"
echo "|---|---|---|---|---|---|" >>"$results"
count() { # scenario in-flight-bound; unknown outcomes (reply lost after end of data) add to the bound
    local name=$1 unknown
    unknown=$(psql_ -c "select coalesce(sum(unknown_outcomes), 0) from deliveries")
    local bound=$(($2 + unknown))
    local keys="$work/keys" sink="$work/sink-keys"
    psql_ -c "select message_key from deliveries where status = 'sent' order by 1" >"$keys"
    cat "$dump"/* 2>/dev/null | grep -i '^message-id:' | sed -E 's/^[^<]*<([^@]*)@.*/\1/' | sort >"$sink" || true
    local received lost dup not_sent
    received=$(wc -l <"$sink")
    not_sent=$(psql_ -c "select count(*) from deliveries where status <> 'sent'")
    lost=$((not_sent + $(comm -23 "$keys" <(sort -u "$sink") | wc -l)))
    dup=$((received - $(sort -u "$sink" | wc -l)))
    echo "| $name | $n | $received | $lost | $dup | $bound ($2 + $unknown) |" >>"$results"
    log "$name: rows $n, received $received, lost $lost, dup $dup (bound $bound)"
    if [ "$lost" != 0 ] || [ "$dup" -gt "$bound" ]; then
        log "$name: FAILED"
        failed=1
    fi
}
finish_tend() { kill -TERM "$tend_pid" 2>/dev/null || true; wait_exit "$tend_pid" 30; tend_pid=""; }

# ---- the scenarios --------------------------------------------------------
baseline() {
    seed "$n"; start_sink; start_tend
    wait_sent 60 || log "baseline: did not drain"
    finish_tend; stop_sink
    count baseline 0
}

kill9() { # three kill -9 while sends are on the wire; the final "." waits 1 s for its reply
    seed "$n"; start_sink -W .:1; start_tend
    local kills=0 target
    for target in $((n / 5)) $((n / 2)) $((n * 4 / 5)); do
        wait_some_sent "$target"; sleep 0.$((RANDOM % 9 + 1))
        kill -9 "$tend_pid"; wait "$tend_pid" 2>/dev/null || true; kills=$((kills + 1))
        start_tend
    done
    wait_sent 120 || log "kill9: did not drain"
    finish_tend; stop_sink
    count "kill -9 x3 mid-send (before and after end-of-data)" $((kills * crash_bound))
}

kill9_after_250() { # kill -9 once the sink has stored the k-th message; batch size 200 (n = 600)
    local n=600 k=192 i
    seed "$n"; start_sink
    TEND__SENDER__BATCH_SIZE=200 start_tend
    for i in $(seq 1 6000); do # smtp-sink stores each message once it has answered 250
        [ "$(find "$dump" -type f 2>/dev/null | wc -l)" -ge "$k" ] && break
        sleep 0.01
    done
    kill -9 "$tend_pid"; wait "$tend_pid" 2>/dev/null || true
    local stored; stored=$(find "$dump" -type f | wc -l)
    start_tend
    wait_sent 120 || log "kill9_after_250: did not drain"
    finish_tend; stop_sink
    count "kill -9 after the sink's 250 for message $k (stored $stored; batch 200, $concurrency connections)" "$crash_bound"
}

sigterm() { # one SIGTERM: in-flight sends finish, unstarted claims are released, exit 0
    seed "$n"; start_sink -W .:1; start_tend
    wait_some_sent $((n / 3)); kill -TERM "$tend_pid"
    wait_exit "$tend_pid" 15
    local status=$exit_status
    local leftover; leftover=$(psql_ -c "select count(*) from delivery_queue where owner is not null")
    log "sigterm: exit status $status, rows left claimed $leftover"
    [ "$status" = 0 ] && [ "$leftover" = 0 ] || { log "sigterm: FAILED (exit $status, claimed $leftover)"; failed=1; }
    start_tend; wait_sent 60 || log "sigterm: did not drain"
    finish_tend; stop_sink
    count "SIGTERM during a batch (exit $status, left claimed $leftover)" 0
}

double_sigterm() { # a second signal exits at once; the claims are rescued after the lease
    seed "$n"; start_sink -W .:1; start_tend
    wait_some_sent $((n / 3)); kill -TERM "$tend_pid"; sleep 0.1; kill -TERM "$tend_pid"
    wait_exit "$tend_pid" 2
    local status=$exit_status
    log "double sigterm: exit status $status"
    [ "$status" != running ] || { log "double sigterm: FAILED (still running)"; failed=1; kill -9 "$tend_pid"; }
    start_tend; wait_sent 90 || log "double sigterm: did not drain"
    finish_tend; stop_sink
    count "double SIGTERM (exit $status)" "$crash_bound"
}

pg_stop() { # PostgreSQL stopped hard mid-batch for 5 s: tend keeps running, not ready, then resumes
    seed "$n"; start_sink -W .:1; start_tend
    wait_some_sent $((n / 3)); pg_stop_immediate
    sleep 5
    local alive=no ready
    kill -0 "$tend_pid" 2>/dev/null && alive=yes
    # tend's own probe (no curl needed): its answer's status code, or none.
    ready=$("$tend_bin" healthcheck --ready 2>&1 | grep -o 'HTTP/1\.[01] [0-9]*' | cut -d' ' -f2 || true)
    ready=${ready:-none}
    log "pg stopped: tend alive $alive, /readyz $ready"
    [ "$alive" = yes ] && [ "$ready" = 503 ] || { log "pg_stop: FAILED"; failed=1; }
    pg_start
    wait_sent 120 || log "pg_stop: did not drain"
    finish_tend; stop_sink
    count "PostgreSQL stopped mid-batch (alive $alive, readyz $ready)" "$crash_bound"
}

pg_terminate() { # every tend backend terminated twice mid-run
    seed "$n"; start_sink -W .:1; start_tend
    local target
    for target in $((n / 3)) $((n * 2 / 3)); do
        wait_some_sent "$target"
        psql_ -c "select count(pg_terminate_backend(pid)) from pg_stat_activity
                  where datname = 'tend_faults' and pid <> pg_backend_pid()" >/dev/null
    done
    wait_sent 120 || log "pg_terminate: did not drain"
    finish_tend; stop_sink
    count "pg_terminate_backend x2" $((2 * crash_bound))
}

relay_down() { # no relay for 8 s, then back: nothing fails for good
    seed "$n"; start_tend
    sleep 8
    local failed_rows; failed_rows=$(psql_ -c "select count(*) from deliveries where status = 'failed'")
    start_sink
    wait_sent 120 || log "relay_down: did not drain"
    finish_tend; stop_sink
    count "relay down 8 s then back (failed while down: $failed_rows)" 0
}

scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(baseline kill9 kill9_after_250 sigterm double_sigterm pg_stop pg_terminate relay_down)
trap 'stop_sink; [ -n "$tend_pid" ] && kill -9 "$tend_pid" 2>/dev/null; true' EXIT
for scenario in "${scenarios[@]}"; do "$scenario"; done
cat "$results"
as_owner "$bindir/pg_ctl" -D "$data" -m fast stop >/dev/null || true
[ "$failed" = 0 ] && echo "fault suite: all scenarios passed" || { echo "fault suite: FAILED"; exit 1; }
