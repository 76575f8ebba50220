#!/usr/bin/env bash
# cacheman on Redis beside Redis's own client, in one hyperfine run:
#   scripts/bench-redis.sh [OPS]      (default 10000 set lines per batch)
#   BIN=path/to/cacheman scripts/bench-redis.sh   (another build; none is made)
# Starts its own redis-server (a free port, no persistence, a temp directory)
# and stops it on exit. Times `cacheman get` of one key beside `redis-cli get`
# of a plain key holding the same value (and `cacheman get` on the local store,
# for reference), a `cacheman run` hit on Redis beside the same hit on the
# local store, and `cacheman batch` of OPS `set` lines beside
# `redis-cli --pipe` of the same OPS SETs. Prints medians and ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
SCRIPT=bench-redis.sh
source scripts/lib.sh

ops=${1:-10000}
need_hyperfine
command -v redis-server >/dev/null || die "redis-server is missing (apt-get install redis-server)"
if [ -n "${BIN:-}" ]; then
    [ -x "$BIN" ] || die "BIN is not an executable: $BIN"
    bin=$(realpath "$BIN")
else
    echo "== building (release)" >&2
    cargo build --release --quiet --bin cacheman
    bin="$PWD/target/$(rustc --print host-tuple)/release/cacheman"
fi

work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
stop() {
    redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap stop EXIT
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" \
    --daemonize yes --pidfile "$work/redis.pid" --logfile "$work/redis.log"
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p "$port" ping >/dev/null || die "redis-server did not start (see $work/redis.log)"

url="redis://127.0.0.1:$port/0?ns=bench"
value=$(head -c 100 /dev/zero | tr '\0' v)
CACHEMAN_STORE=$url "$bin" set hot key "$value"
redis-cli -p "$port" set plain-key "$value" >/dev/null
CACHEMAN_DIR="$work/local" "$bin" set hot key "$value"
# A stored `run` result on each store (the sidecar under the temp directory).
on_redis="env XDG_CACHE_HOME=$work/xdg CACHEMAN_STORE=$url"
on_local="env XDG_CACHE_HOME=$work/xdg CACHEMAN_DIR=$work/local"
for on in "$on_redis" "$on_local"; do $on "$bin" run -- echo hello >/dev/null; done

# The same OPS sets, as batch lines and as RESP for redis-cli --pipe.
python3 - "$ops" "$work" <<'PY'
import sys
ops, work = int(sys.argv[1]), sys.argv[2]
with open(f"{work}/sets", "w") as lines, open(f"{work}/sets.resp", "wb") as resp:
    for i in range(ops):
        key, value = f"key-{i}", f"value-{i}"
        lines.write(f"set b {key} {value}\n")
        args = [b"SET", f"piped:{key}".encode(), value.encode()]
        resp.write(b"*3\r\n" + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))
PY

hyperfine -N --warmup 3 --min-runs 30 --export-json "$work/t.json" \
    -n "cacheman get (redis)" "env CACHEMAN_STORE=$url $bin get hot key" \
    -n "redis-cli get" "redis-cli -p $port get plain-key" \
    -n "cacheman get (local)" "env CACHEMAN_DIR=$work/local $bin get hot key" \
    -n "cacheman run hit (redis)" "$on_redis $bin run -- echo hello" \
    -n "cacheman run hit (local)" "$on_local $bin run -- echo hello" \
    -n "cacheman batch (redis)" "sh -c 'CACHEMAN_STORE=\"$url\" $bin batch < $work/sets > /dev/null'" \
    -n "redis-cli --pipe" "sh -c 'redis-cli -p $port --pipe < $work/sets.resp > /dev/null'" >&2

python3 - "$work/t.json" "$ops" <<'PY'
import json, sys
results = {r["command"]: r["median"] for r in json.load(open(sys.argv[1]))["results"]}
ops = int(sys.argv[2])
for name, median in results.items():
    print(f"{name:24} median {median * 1000:9.2f} ms")
get = results["cacheman get (redis)"] / results["redis-cli get"]
local = results["cacheman get (redis)"] / results["cacheman get (local)"]
run = results["cacheman run hit (redis)"] / results["cacheman run hit (local)"]
batch = results["redis-cli --pipe"] / results["cacheman batch (redis)"]
print(f"cacheman get on Redis / redis-cli get:        {get:.2f}  (time; goal at most 1.0)")
print(f"cacheman get on Redis / on the local store:   {local:.2f}  (time)")
print(f"cacheman run hit on Redis / on the local store: {run:.2f}  (time)")
print(f"cacheman batch on Redis / redis-cli --pipe:   {batch:.2f}  (throughput, {ops} sets; goal at least 0.5)")
PY
