#!/usr/bin/env bash
# Regenerates .sqlx/ (the offline query data that lets tend build without a
# database) after a query or migration changes. Needs the local cluster.
set -euo pipefail
cd "$(dirname "$0")/../.."

url=$(deploy/local/postgres.sh)
server="${url%/*}"
psql_() { psql -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "${TEND_PG_PORT:-5544}" -U postgres "$@"; }
psql_ -d postgres -c "drop database if exists tend_prepare" -c "create database tend_prepare"
for file in migrations/*.sql; do psql_ -d tend_prepare -f "$file"; done

rm -rf .sqlx && mkdir .sqlx
touch src/lib.rs
DATABASE_URL="$server/tend_prepare" SQLX_OFFLINE=false SQLX_OFFLINE_DIR="$PWD/.sqlx" cargo check --all-targets --quiet
echo "wrote $(ls .sqlx | wc -l) queries to .sqlx/"
