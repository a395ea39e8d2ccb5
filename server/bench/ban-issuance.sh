#!/usr/bin/env bash
# Ban issuance over HTTP with concurrent clients, on SQLite and PostgreSQL.
# Starts a release cho-server on its demo data (and, for PostgreSQL, a
# throwaway PostgreSQL 15 on a free port), then drives POST /api/v1/bans with
# wrk (Debian package `wrk`). Prints throughput and latency percentiles.
#
# Usage: server/bench/ban-issuance.sh [CONNECTIONS=16] [DURATION=20s]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
connections="${1:-16}"
duration="${2:-20s}"
source "$here/common.sh"
needs wrk curl python3
build_server
scratch bench

run() {
    start_demo "$1" "$2"
    local token; token="$(login kroon demo-kroon-2026)"
    echo "== $1: $connections connections, $duration =="
    TOKEN="$token" wrk -t2 -c"$connections" -d"$duration" --latency -s "$here/ban.lua" "$base"
    kill "$server_pid"
}

run sqlite ""
if start_postgres; then
    run postgres "$pg_url"
else
    echo "PostgreSQL 15 not found in $pg_bin: PostgreSQL run skipped" >&2
fi
