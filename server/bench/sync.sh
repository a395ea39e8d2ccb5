#!/usr/bin/env bash
# Device sync throughput: many concurrent door devices polling
# GET /api/v1/device/list?version=<current> (304s) on a release cho-server,
# on SQLite and PostgreSQL, beside nginx serving the same snapshot file as a
# static file on the same machine (the ceiling). Needs wrk and nginx (Debian
# packages `wrk`, `nginx-light`).
#
# Usage: server/bench/sync.sh [CONNECTIONS=64] [DURATION=10s]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
connections="${1:-64}"
duration="${2:-10s}"
pg_bin=/usr/lib/postgresql/15/bin
for tool in wrk nginx curl python3; do
    command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install -y wrk nginx-light)" >&2; exit 2; }
done
cargo build --release -p cho-server --manifest-path "$root/Cargo.toml" >&2
server="$root/target/release/cho-server"
work="$(mktemp -d /tmp/cho-sync-bench.XXXXXX)"
chmod 755 "$work"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    [[ -f "$work/nginx.pid" ]] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
    if [[ -d "$work/pg" ]]; then runuser -u postgres -- "$pg_bin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
json() { python3 -c "import sys,json; print(json.load(sys.stdin)$1)"; }

run() {
    local backend="$1" url="$2" port
    port="$(free_port)"
    RUST_LOG=warn "$server" --data-dir "$work/data-$backend" ${url:+--database-url "$url"} demo --bind "127.0.0.1:$port" --metrics-bind 127.0.0.1:0 >"$work/$backend.log" 2>&1 &
    pids+=($!)
    local base="http://127.0.0.1:$port/api/v1"
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
    local token code credential version
    token="$(curl -sf -X POST "$base/auth/login" -H 'content-type: application/json' \
        -d '{"username":"fabriek","password":"demo-fabriek-2026"}' | json '["token"]')"
    code="$(curl -sf -X POST "$base/venues/2/enrolment-codes" -H "authorization: Bearer $token" \
        -H 'content-type: application/json' -d '{"name":"bench"}' | json '["code"]')"
    credential="$(curl -sf -X POST "$base/devices/enrol" -H 'content-type: application/json' \
        -d "{\"code\":\"$code\"}" | json '["credential"]')"
    # The first list is published right at start.
    for _ in $(seq 50); do
        curl -sf -o "$work/snapshot.bin" -D "$work/headers" -H "authorization: Device $credential" "$base/device/list?version=0" && break
        sleep 0.2
    done
    version="$(grep -i '^x-cho-list-version' "$work/headers" | tr -d '\r' | awk '{print $2}')"
    echo "== $backend: $connections devices polling version $version (304s), $duration =="
    wrk -t2 -c"$connections" -d"$duration" --latency -H "Authorization: Device $credential" \
        "$base/device/list?version=$version"
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
fi

# The ceiling: nginx serving the same snapshot as a static file.
nginx_port="$(free_port)"
mkdir -p "$work/www" "$work/nginx-tmp"
cp "$work/snapshot.bin" "$work/www/list.bin"
cat >"$work/nginx.conf" <<CONF
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $work/nginx-tmp;
    proxy_temp_path $work/nginx-tmp;
    fastcgi_temp_path $work/nginx-tmp;
    uwsgi_temp_path $work/nginx-tmp;
    scgi_temp_path $work/nginx-tmp;
    server { listen 127.0.0.1:$nginx_port; root $work/www; }
}
CONF
nginx -c "$work/nginx.conf"
echo "== nginx: the same snapshot as a static file, $connections connections, $duration =="
wrk -t2 -c"$connections" -d"$duration" --latency "http://127.0.0.1:$nginx_port/list.bin"
