#!/usr/bin/env bash
# The web pages under load (issue 8): p50/p99 of an owner's dashboard and
# of the ban form's submit with 16 concurrent users on SQLite, and the
# bytes a first page load transfers (compressed).
#
#   server/bench/web.sh            # release build of this checkout
#   CHO_SERVER=target/release/cho-server server/bench/web.sh
#
# Loopback only; needs wrk, curl, python3. Each of the 16 users is its own
# owner account with its own browser session (cookie + CSRF token), made
# through the API before the run.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
source "$root/server/bench/common.sh"
needs wrk curl python3
duration="${DURATION:-20}"
build_server
scratch web
start_demo web ""

# `web_login USER PASSWORD`: a browser session at $base; prints its cookie
# header value.
web_login() {
    local jar="$work/jar-$1" csrf
    csrf="$(curl -sf -c "$jar" -b "$jar" "$base/inloggen" | grep -o 'name="csrf" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//')"
    curl -sf -o /dev/null -c "$jar" -b "$jar" -H "origin: $base" \
        --data-urlencode "csrf=$csrf" --data-urlencode "username=$1" --data-urlencode "password=$2" "$base/inloggen"
    awk '$6 ~ /cho_session$/ {print $6 "=" $7}' "$jar"
}

# 16 owners of Café De Kroon (venue 1), each with a browser session.
beheerder="$(login beheerder demo-beheerder-2026)"
users=16
: >"$work/sessions"
for n in $(seq "$users"); do
    curl -sf -o /dev/null -X POST "$base/api/v1/accounts" -H "authorization: Bearer $beheerder" \
        -H 'content-type: application/json' \
        -d "{\"username\":\"bench-$n\",\"password\":\"bench password $n\",\"role\":\"owner\",\"area_id\":1,\"venue_ids\":[1]}"
    cookie="$(web_login "bench-$n" "bench password $n")"
    # The ban form's CSRF token is bound to the session: read it once.
    csrf="$(curl -sf -H "cookie: $cookie" "$base/verboden/nieuw" | grep -o 'name="csrf" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//')"
    echo "$cookie $csrf" >>"$work/sessions"
done
category="$(curl -sf -H "cookie: $(head -1 "$work/sessions" | cut -d' ' -f1)" "$base/verboden/nieuw" \
    | grep -o 'name="category_id" value="[0-9]*"' | head -1 | grep -o '[0-9]*"$' | tr -d '"')"

echo "== dashboard: GET /zaak, $users users, ${duration}s"
SESSIONS="$work/sessions" wrk -t2 -c"$users" -d"${duration}s" --latency \
    -s "$root/server/bench/web-dashboard.lua" "$base/zaak" | tee "$work/dashboard.txt"
echo "== ban form submit: POST /verboden/nieuw (typed person), $users users, ${duration}s"
SESSIONS="$work/sessions" CATEGORY="$category" ORIGIN="$base" wrk -t2 -c"$users" -d"${duration}s" --latency \
    -s "$root/server/bench/web-ban.lua" "$base/verboden/nieuw" | tee "$work/ban.txt"
issued="$(curl -sf -H "authorization: Bearer $beheerder" "$base/api/v1/areas/1/statistics" | json '["active_total"]' 2>/dev/null || echo '?')"
echo "active bans in the area after the run: $issued"

echo "== first page load (compressed bytes: HTML + stylesheet + theme + logo)"
for page in / /inloggen /gebieden/1; do
    total=0
    html="$(curl -s -H 'accept-encoding: gzip' -o "$work/page" -w '%{size_download}' "$base$page")"
    total=$((total + html))
    for asset in $(curl -s "$base$page" | grep -o '\(href\|src\)="/\(assets\|thema\|logo\)/[^"]*"' | sed 's/^[a-z]*="//; s/"$//' | sort -u); do
        bytes="$(curl -s -H 'accept-encoding: gzip' -o /dev/null -w '%{size_download}' "$base$asset")"
        total=$((total + bytes))
    done
    echo "$page: $total bytes (HTML $html)"
done
