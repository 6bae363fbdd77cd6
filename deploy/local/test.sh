#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit tests and integration tests
# against a real PostgreSQL (a fresh database per test) and real SMTP over TCP.
set -euo pipefail
cd "$(dirname "$0")/../.."

# The browser test opens every emailed link in headless Chromium.
if [ -z "${TEND_SKIP_BROWSER_TESTS:-}" ] && ! { command -v chromium && command -v chromedriver; } >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "test.sh: installing chromium for the browser test" >&2
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
    else
        echo "test.sh: chromium is missing: sudo apt-get install chromium (or set TEND_SKIP_BROWSER_TESTS=1)" >&2
        exit 1
    fi
fi

url=$(deploy/local/postgres.sh)
# sqlx::test creates and drops one database per test through this server.
export DATABASE_URL="${url%/*}/postgres"
export SQLX_OFFLINE=true

cargo fmt --all -- --check
cargo clippy --locked --all-targets -- -D warnings
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --locked --no-fail-fast
else
    cargo test --locked --no-fail-fast
fi
