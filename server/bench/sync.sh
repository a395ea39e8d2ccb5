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
source "$here/common.sh"
needs wrk nginx curl python3
build_server
scratch sync-bench

run() {
    start_demo "$1" "$2"
    enrol_door "$(login fabriek demo-fabriek-2026)" 2
    echo "== $1: $connections devices polling version $version (304s), $duration =="
    wrk -t2 -c"$connections" -d"$duration" --latency -H "Authorization: Device $credential" \
        "$base/api/v1/device/list?version=$version"
    kill "$server_pid"
}

run sqlite ""
if start_postgres; then run postgres "$pg_url"; fi

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
