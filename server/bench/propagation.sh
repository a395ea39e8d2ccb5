#!/usr/bin/env bash
# A new ban at every door within seconds: DOORS door devices, each enrolled
# through the API with its own credential and its own store directory (on
# tmpfs), wait for a new list (GET /api/v1/device/list?version=V&wait=60)
# on a release cho-server with its demo data; BANS bans are issued through
# the API one at a time, and for each the time from its 201 to the moment
# each door has verified and applied a list that says Banned for the person
# (cho_core::checker::Door::apply_update, then a check) is measured. Also:
# the server's RSS per waiting door and the database work of an idle minute.
# SQLite, then PostgreSQL 15 when installed. The driver is
# server/bench/propagation.rs (binary cho-propagation-bench, feature
# `bench`).
#
# Usage: server/bench/propagation.sh [DOORS=2000] [BANS=5] [IDLE_SECONDS=60]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
doors="${1:-2000}"
bans="${2:-5}"
idle="${3:-60}"
source "$here/common.sh"
needs curl python3

# Each door holds a socket on both sides (server and driver are separate
# processes, each needs DOORS + headroom).
want=$((doors * 2 + 1024))
if [[ "$(ulimit -n)" -lt "$want" ]]; then
    ulimit -n "$want" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
fi
echo "open files allowed: $(ulimit -n)"

if [[ -n "${CHO_SERVER:-}" && -n "${CHO_BENCH:-}" ]]; then
    server="$CHO_SERVER"; bench="$CHO_BENCH"
else
    cargo build --release -p cho-server --features bench --manifest-path "$root/Cargo.toml" >&2
    server="$root/target/release/cho-server"
    bench="$root/target/release/cho-propagation-bench"
fi
scratch propagation
store="$(mktemp -d /dev/shm/cho-propagation.XXXXXX)"
trap 'rm -rf "$store"; cleanup' EXIT

run() {
    local name="$1" url="$2" counter="${3:-}"
    local port metrics_port
    port="$(free_port)"
    metrics_port="$(free_port)"
    RUST_LOG=warn "$server" --data-dir "$work/data-$name" ${url:+--database-url "$url"} \
        --enrol-attempts-per-minute 1000000 demo \
        --bind "127.0.0.1:$port" --metrics-bind "127.0.0.1:$metrics_port" >"$work/$name.log" 2>&1 &
    local pid=$!
    pids+=("$pid")
    for _ in $(seq 150); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
    echo "== $name: $doors doors waiting (wait=60), $bans bans one at a time =="
    "$bench" --addr "127.0.0.1:$port" --metrics "127.0.0.1:$metrics_port" --server-pid "$pid" \
        --doors "$doors" --bans "$bans" --store "$store/$name" --idle-seconds "$idle" \
        ${counter:+--db-counter "$counter"}
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    rm -rf "${store:?}/$name"
}

run sqlite ""
if start_postgres; then
    pg_port="${pg_url##*:}"; pg_port="${pg_port%%/*}"
    run postgres "$pg_url" \
        "$pg_bin/psql -h 127.0.0.1 -p $pg_port -U postgres -d cho -tAc \"SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = 'cho'\""
else
    echo "PostgreSQL 15 not found in $pg_bin: PostgreSQL run skipped" >&2
fi
