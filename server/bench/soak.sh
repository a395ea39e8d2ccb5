#!/usr/bin/env bash
# Soak: mixed load on one release cho-server (demo data, SQLite by default,
# or PostgreSQL 15 with --postgres) for DURATION, each endpoint driven by its
# own wrk process at once:
#   - door devices polling GET /api/v1/device/list?version=<v> (304s, and a
#     delta or snapshot whenever a new list is published),
#   - owners logging in (POST /api/v1/auth/login, Argon2id each),
#   - owners issuing bans (POST /api/v1/bans, a new person each, ban.lua).
# It samples the server's resident memory every second and fails unless
# every request was answered without error (no socket errors, no status
# outside 2xx/3xx) and the memory after warm-up stays flat (the last third's
# peak within 25 % of the second third's). Loopback only; not in CI.
#
# Usage: server/bench/soak.sh [--postgres] [DURATION=60] [SYNC_CONNECTIONS=32]
#                             [LOGIN_CONNECTIONS=2] [BAN_CONNECTIONS=4]
# Needs wrk (apt-get install -y wrk), curl and python3.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
backend=sqlite
if [[ "${1:-}" == "--postgres" ]]; then backend=postgres; shift; fi
duration="${1:-60}"
sync_c="${2:-32}"
login_c="${3:-2}"
ban_c="${4:-4}"
source "$here/common.sh"
needs wrk curl python3
build_server
scratch soak

url=""
if [[ "$backend" == postgres ]]; then
    start_postgres || { echo "needs PostgreSQL 15 in $pg_bin" >&2; exit 2; }
    url="$pg_url"
fi
# Publication every 5 s, so the polling doors also fetch new lists.
start_demo server "$url" --publish-interval 5
enrol_door "$(login fabriek demo-fabriek-2026)" 2
kroon="$(login kroon demo-kroon-2026)"

echo "== soak: $backend, ${duration}s; syncs x$sync_c, logins x$login_c, bans x$ban_c connections =="
# Resident memory every second, in kB.
(
    while kill -0 "$server_pid" 2>/dev/null; do
        awk '/^VmRSS/ {print $2}' "/proc/$server_pid/status" 2>/dev/null || true
        sleep 1
    done
) >"$work/rss" &
pids+=($!)

wrk -t1 -c"$sync_c" -d"${duration}s" --timeout 10s --latency -H "Authorization: Device $credential" \
    "$base/api/v1/device/list?version=$version" >"$work/sync.out" 2>&1 &
sync_pid=$!
USERNAME=fabriek PASSWORD=demo-fabriek-2026 wrk -t1 -c"$login_c" -d"${duration}s" --timeout 10s --latency \
    -s "$here/login.lua" "$base" >"$work/login.out" 2>&1 &
login_pid=$!
TOKEN="$kroon" wrk -t1 -c"$ban_c" -d"${duration}s" --timeout 10s --latency -s "$here/ban.lua" \
    "$base" >"$work/ban.out" 2>&1 &
ban_pid=$!
wait "$sync_pid" "$login_pid" "$ban_pid"

failed=0
report() {
    local what="$1" out="$2" rate p50 p99 total errors
    rate="$(awk '/^Requests\/sec/ {print $2}' "$out")"
    total="$(awk '/requests in/ {print $1}' "$out")"
    p50="$(awk '$1 == "50%" {print $2}' "$out")"
    p99="$(awk '$1 == "99%" {print $2}' "$out")"
    errors="$(awk '/Socket errors/ {gsub(",", ""); s += $4 + $6 + $8 + $10} /Non-2xx or 3xx/ {s += $NF} END {print s + 0}' "$out")"
    printf '%-8s %10s req/s  %8s requests  p50 %8s  p99 %8s  errors %s\n' "$what" "$rate" "$total" "$p50" "$p99" "$errors"
    if [[ "$errors" != 0 ]]; then failed=1; cat "$out"; fi
}
report syncs "$work/sync.out"
report logins "$work/login.out"
report bans "$work/ban.out"

python3 - "$work/rss" "$duration" <<'PY' || failed=1
import sys
rss = [int(l) for l in open(sys.argv[1]) if l.strip().isdigit()]
n = len(rss)
if n < 6:
    sys.exit(f"too few memory samples: {n}")
third = n // 3
warm, mid, last = rss[:third], rss[third:2 * third], rss[2 * third:]
mb = lambda kb: f"{kb / 1024:.0f} MB"
print(f"memory   start {mb(rss[0])}, after warm-up {mb(max(warm))}, "
      f"second third peak {mb(max(mid))}, last third peak {mb(max(last))}, end {mb(rss[-1])}")
growth = max(last) / max(mid) - 1
print(f"memory   last third vs second third: {growth * 100:+.1f} %")
if growth > 0.25:
    sys.exit("resident memory keeps growing after warm-up")
PY
if [[ "$failed" != 0 ]]; then echo "SOAK FAILED" >&2; exit 1; fi
echo "soak passed: 0 errors, memory flat after warm-up"
