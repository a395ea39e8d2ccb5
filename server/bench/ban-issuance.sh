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
pg_bin=/usr/lib/postgresql/15/bin
command -v wrk >/dev/null || { echo "needs wrk: apt-get install -y wrk" >&2; exit 2; }
cargo build --release -p cho-server --manifest-path "$root/Cargo.toml" >&2
server="$root/target/release/cho-server"
work="$(mktemp -d /tmp/cho-bench.XXXXXX)"
chmod 755 "$work"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    if [[ -d "$work/pg" ]]; then runuser -u postgres -- "$pg_bin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

run() {
    local backend="$1" url="$2"
    local port; port="$(free_port)"
    local data="$work/data-$backend"
    RUST_LOG=warn "$server" --data-dir "$data" ${url:+--database-url "$url"} demo --bind "127.0.0.1:$port" --metrics-bind 127.0.0.1:0 >"$work/$backend.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
    local token
    token="$(curl -sf -X POST "http://127.0.0.1:$port/api/v1/auth/login" -H 'content-type: application/json' \
        -d '{"username":"kroon","password":"demo-kroon-2026"}' | python3 -c 'import sys,json;print(json.load(sys.stdin)["token"])')"
    echo "== $backend: $connections connections, $duration =="
    TOKEN="$token" wrk -t2 -c"$connections" -d"$duration" --latency -s "$here/ban.lua" "http://127.0.0.1:$port"
    kill "${pids[-1]}"
}

run sqlite ""

if [[ -x "$pg_bin/initdb" ]]; then
    mkdir -p "$work/pg" && chown postgres "$work/pg"
    pg_port="$(free_port)"
    runuser -u postgres -- "$pg_bin/initdb" -D "$work/pg" -A trust -U postgres >/dev/null
    runuser -u postgres -- "$pg_bin/pg_ctl" -D "$work/pg" -w -l "$work/pg/log" \
        -o "-k $work/pg -p $pg_port -c listen_addresses=127.0.0.1" start >/dev/null
    runuser -u postgres -- "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres cho
    run postgres "postgres://postgres@127.0.0.1:$pg_port/cho"
else
    echo "PostgreSQL 15 not found in $pg_bin: PostgreSQL run skipped" >&2
fi
