#!/usr/bin/env bash
# Throughput of `cacheman batch` in one run, beside one process per operation
# and, when redis-server is installed, beside redis-cli against a local
# redis-server this script starts (and stops) itself:
#   scripts/bench-batch.sh [OPS]      (default 20000 operations per batch)
# Prints operations per second for set and get each way, and the ratios; sets
# through `redis-cli --pipe` are measured twice, without persistence and with
# the append-only file on (appendfsync no: like a batch, every change written
# to a file before its answer, none fsynced).
# BIN set measures that binary instead of building this one.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SCRIPT=bench-batch
source scripts/lib.sh
need_hyperfine
[ -n "${BIN:-}" ] || build_release

ops=${1:-20000}
single=$((ops / 20))
work=$(mktemp -d "${TMPDIR:-/tmp}/cacheman-bench-batch.XXXXXX")
redis_pid=
cleanup() {
    [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
export CACHEMAN_DIR="$work/store"

for i in $(seq 1 "$ops"); do echo "set b key-$i value-$i"; done >"$work/sets"
for i in $(seq 1 "$ops"); do echo "get b key-$i"; done >"$work/gets"
"$BIN" batch <"$work/sets" >/dev/null

seconds() { # the median of hyperfine's runs of a shell command line, in seconds
    hyperfine -N --style none --runs "$1" --export-json "$work/t.json" "sh -c '$2'" >/dev/null 2>&1 ||
        hyperfine --style none --runs "$1" --export-json "$work/t.json" "sh -c '$2'" >/dev/null
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["median"])' "$work/t.json"
}

echo "== $ops operations per batch, $single processes per one-process-per-operation run" >&2
rates=()
rate() { # NAME OPERATIONS RUNS COMMAND
    local s
    s=$(seconds "$3" "$4")
    rates+=("$1=$(python3 -c "print($2 / $s)")")
}
rate "batch set" "$ops" 5 "$BIN batch < $work/sets > /dev/null"
rate "batch get" "$ops" 5 "$BIN batch < $work/gets > /dev/null"
rate "process-per-op set" "$single" 3 "i=0; while [ \$i -lt $single ]; do $BIN set p key-\$i v; i=\$((i+1)); done"
rate "process-per-op get" "$single" 3 "i=0; while [ \$i -lt $single ]; do $BIN get b key-\$i > /dev/null; i=\$((i+1)); done"

if command -v redis-server >/dev/null && command -v redis-cli >/dev/null; then
    sock=$work/redis.sock
    redis-server --port 0 --unixsocket "$sock" --save '' --appendonly no --daemonize no \
        --dir "$work" >/dev/null &
    redis_pid=$!
    for _ in $(seq 100); do redis-cli -s "$sock" ping >/dev/null 2>&1 && break; sleep 0.05; done
    python3 - "$ops" "$work" <<'PY'
import sys
ops, work = int(sys.argv[1]), sys.argv[2]
def resp(*words):
    return "".join([f"*{len(words)}\r\n"] + [f"${len(w)}\r\n{w}\r\n" for w in words])
with open(f"{work}/redis-sets.resp", "w") as sets, open(f"{work}/redis-gets.resp", "w") as gets:
    for i in range(1, ops + 1):
        sets.write(resp("SET", f"key-{i}", f"value-{i}"))
        gets.write(resp("GET", f"key-{i}"))
with open(f"{work}/redis-sets", "w") as sets, open(f"{work}/redis-gets", "w") as gets:
    for i in range(1, ops + 1):
        sets.write(f"SET key-{i} value-{i}\n")
        gets.write(f"GET key-{i}\n")
PY
    rate "redis-cli --pipe set" "$ops" 5 "redis-cli -s $sock --pipe < $work/redis-sets.resp > /dev/null"
    rate "redis-cli --pipe get" "$ops" 5 "redis-cli -s $sock --pipe < $work/redis-gets.resp > /dev/null"
    rate "redis-cli lines set" "$ops" 3 "redis-cli -s $sock < $work/redis-sets > /dev/null"
    rate "redis-cli lines get" "$ops" 3 "redis-cli -s $sock < $work/redis-gets > /dev/null"
    # A server that, like the batch, writes every change to a file before it
    # answers (its append-only file, fsync left to the system).
    redis-cli -s "$sock" config set appendfsync no >/dev/null
    redis-cli -s "$sock" config set appendonly yes >/dev/null
    for _ in $(seq 100); do
        redis-cli -s "$sock" info persistence | grep -q 'aof_rewrite_in_progress:0' && break
        sleep 0.05
    done
    rate "redis-cli --pipe set, AOF" "$ops" 5 "redis-cli -s $sock --pipe < $work/redis-sets.resp > /dev/null"
else
    echo "== redis-server or redis-cli is not installed: no redis figures" >&2
fi

python3 - "${rates[@]}" <<'PY'
import sys
rates = dict(arg.split("=") for arg in sys.argv[1:])
rates = {name: float(rate) for name, rate in rates.items()}
for name, rate in rates.items():
    print(f"{name:27} {rate:10.0f} ops/s")
def ratio(a, b):
    if a in rates and b in rates:
        print(f"  {a + ' / ' + b:44} {rates[a] / rates[b]:7.2f}x")
print("ratios")
for op in ("set", "get"):
    ratio(f"batch {op}", f"process-per-op {op}")
for op in ("set", "get"):
    ratio(f"batch {op}", f"redis-cli --pipe {op}")
    ratio(f"batch {op}", f"redis-cli lines {op}")
ratio("batch set", "redis-cli --pipe set, AOF")
PY
