#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit tests and integration tests
# against a real PostgreSQL (a fresh database per test), real Postfix relays
# with Dovecot (each started by its test, see tests/api/relays) and headless
# Chromium. The tests run twice: under cargo-nextest (a process per test),
# then under plain `cargo test` (every test in one process, side by side), so
# that no test passes only because it ran alone.
#
# As root, what is missing is installed from the distribution: chromium and
# chromium-driver, postfix (preseeded: no system mail server is set up) and
# dovecot-core. As a normal user the real-relay tests cannot run (a private
# Postfix needs root): they are skipped, and this script says so loudly.
set -euo pipefail
cd "$(dirname "$0")/../.."

can_install() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }
apt_install() { # [apt-get options] packages...
    echo "test.sh: apt-get install $*" >&2
    # Without this, installing postfix asks questions or sets up a mail server on port 25.
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# The browser tests: the first of these names that runs (tests/api/webdriver.rs looks the same way).
find_chromium() {
    local name
    for name in chromium chromium-browser google-chrome google-chrome-stable; do
        command -v "$name" >/dev/null 2>&1 && "$name" --version >/dev/null 2>&1 && return 0
    done
    return 1
}
if [ -z "${TEND_SKIP_BROWSER_TESTS:-}" ] && ! { find_chromium && command -v chromedriver >/dev/null 2>&1; }; then
    if grep -qs '^ID=ubuntu' /etc/os-release; then
        echo "test.sh: headless Chromium is missing. On Ubuntu, apt's chromium-browser only installs the snap," >&2
        echo "  which does not run headless in containers or CI. Install Google Chrome (google-chrome-stable)" >&2
        echo "  and a matching chromedriver, or set TEND_SKIP_BROWSER_TESTS=1 to skip the browser tests." >&2
        exit 1
    elif can_install; then
        apt_install chromium chromium-driver
    else
        echo "test.sh: chromium is missing: sudo apt-get install chromium chromium-driver (or set TEND_SKIP_BROWSER_TESTS=1)" >&2
        exit 1
    fi
fi

# The real-relay tests: a private Postfix, with Dovecot for the logins.
if [ -z "${TEND_SKIP_RELAY_TESTS:-}" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "test.sh: ************************************************************************" >&2
        echo "test.sh: NOT running the real-relay tests (tests/api/relays): they start a private" >&2
        echo "test.sh: Postfix, which needs root. Run deploy/local/test.sh as root (CI does)." >&2
        echo "test.sh: ************************************************************************" >&2
        export TEND_SKIP_RELAY_TESTS=1
    elif [ ! -x /usr/lib/postfix/sbin/master ] || [ ! -x /usr/sbin/dovecot ]; then
        if can_install; then
            apt_install --no-install-recommends postfix dovecot-core
            # Installed for the tests only: no system Dovecot left running (a no-op where none started).
            { systemctl disable --now dovecot.service dovecot.socket || service dovecot stop; } >/dev/null 2>&1 || true
        else
            echo "test.sh: postfix and dovecot-core are missing: apt-get install postfix dovecot-core" >&2
            exit 1
        fi
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
    echo "test.sh: cargo-nextest is not installed (cargo install cargo-nextest --locked); plain cargo test only" >&2
fi
cargo test --locked --no-fail-fast
