# Shared by the benchmark scripts (sourced, not run): the release server,
# a scratch directory cleaned up on exit with every process started, a
# throwaway PostgreSQL 15, a demo server, and small JSON/port helpers.
# Loopback only. Callers set `set -euo pipefail` and `root` first.

pg_bin=/usr/lib/postgresql/15/bin

# `needs TOOL...`: exit 2 naming the first missing tool.
needs() {
    for tool in "$@"; do
        command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install -y wrk nginx-light curl python3)" >&2; exit 2; }
    done
}

# Sets `server`: $CHO_SERVER when given (e.g. to try a script on a debug
# build), else a release build of this checkout.
build_server() {
    server="${CHO_SERVER:-}"
    if [[ -z "$server" ]]; then
        cargo build --release -p cho-server --manifest-path "$root/Cargo.toml" >&2
        server="$root/target/release/cho-server"
    fi
}

# `scratch NAME`: sets `work` to a fresh directory and `pids` to the
# processes to stop; on exit both go, with nginx and PostgreSQL if started.
scratch() {
    work="$(mktemp -d "/tmp/cho-$1.XXXXXX")"
    chmod 755 "$work"
    pids=()
    trap cleanup EXIT
}

cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    [[ -f "$work/nginx.pid" ]] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
    if [[ -d "$work/pg" ]]; then runuser -u postgres -- "$pg_bin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true; fi
    rm -rf "$work"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# `json EXPR`: stdin's JSON indexed by a Python expression, e.g. '["token"]'.
json() { python3 -c "import sys,json; print(json.load(sys.stdin)$1)"; }

# Starts a throwaway PostgreSQL 15 in $work/pg and sets `pg_url`; returns 1
# when PostgreSQL 15 is not installed.
start_postgres() {
    [[ -x "$pg_bin/initdb" ]] || return 1
    mkdir -p "$work/pg" && chown postgres "$work/pg"
    local pg_port; pg_port="$(free_port)"
    runuser -u postgres -- "$pg_bin/initdb" -D "$work/pg" -A trust -U postgres >/dev/null
    runuser -u postgres -- "$pg_bin/pg_ctl" -D "$work/pg" -w -l "$work/pg/log" \
        -o "-k $work/pg -p $pg_port -c listen_addresses=127.0.0.1" start >/dev/null
    runuser -u postgres -- "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres cho
    pg_url="postgres://postgres@127.0.0.1:$pg_port/cho"
}

# `start_demo NAME DATABASE_URL [FLAG...]`: a demo server on a free port
# (empty URL: SQLite), logging to $work/NAME.log; sets `port`, `base`
# (http://127.0.0.1:PORT) and `server_pid`, and waits until it is healthy.
start_demo() {
    local name="$1" url="$2"; shift 2
    port="$(free_port)"
    base="http://127.0.0.1:$port"
    RUST_LOG=warn "$server" --data-dir "$work/data-$name" ${url:+--database-url "$url"} demo \
        --bind "127.0.0.1:$port" --metrics-bind 127.0.0.1:0 "$@" >"$work/$name.log" 2>&1 &
    server_pid=$!
    pids+=("$server_pid")
    for _ in $(seq 150); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.2; done
}

# `login USER PASSWORD`: a bearer token from the server at $base.
login() {
    curl -sf -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
        -d "{\"username\":\"$1\",\"password\":\"$2\"}" | json '["token"]'
}

# `enrol_door OWNER_TOKEN VENUE`: enrols a door at $base; sets `credential`,
# then fetches the first list into $work/snapshot.bin and sets `version`.
enrol_door() {
    local code
    code="$(curl -sf -X POST "$base/api/v1/venues/$2/enrolment-codes" -H "authorization: Bearer $1" \
        -H 'content-type: application/json' -d '{"name":"bench"}' | json '["code"]')"
    credential="$(curl -sf -X POST "$base/api/v1/devices/enrol" -H 'content-type: application/json' \
        -d "{\"code\":\"$code\"}" | json '["credential"]')"
    # The first list is published right at start.
    for _ in $(seq 50); do
        curl -sf -o "$work/snapshot.bin" -D "$work/headers" -H "authorization: Device $credential" \
            "$base/api/v1/device/list?version=0" && break
        sleep 0.2
    done
    version="$(grep -i '^x-cho-list-version' "$work/headers" | tr -d '\r' | awk '{print $2}')"
}
