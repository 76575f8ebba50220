#!/usr/bin/env bash
# Throughput of `cacheman batch` against one process per operation, in one run:
#   scripts/bench-batch.sh [OPS]      (default 10000 operations per batch)
# Prints operations per second for set and get each way, and the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."

ops=${1:-10000}
single=$((ops / 10))
cargo build --release --quiet
bin="$PWD/target/$(rustc --print host-tuple)/release/cacheman"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CACHEMAN_DIR="$work/store"

for i in $(seq 1 "$ops"); do echo "set b key-$i value-$i"; done > "$work/sets"
for i in $(seq 1 "$ops"); do echo "get b key-$i"; done > "$work/gets"
"$bin" batch < "$work/sets" > /dev/null

seconds() { # the median of hyperfine's runs, in seconds
  hyperfine -N --style none --runs "$1" --export-json "$work/t.json" "$2" > /dev/null 2>&1 \
    || hyperfine --style none --runs "$1" --export-json "$work/t.json" "$2" > /dev/null
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["median"])' "$work/t.json"
}

batch_set=$(seconds 5 "sh -c '$bin batch < $work/sets > /dev/null'")
batch_get=$(seconds 5 "sh -c '$bin batch < $work/gets > /dev/null'")
proc_set=$(seconds 3 "sh -c 'i=0; while [ \$i -lt $single ]; do $bin set p key-\$i v; i=\$((i+1)); done'")
proc_get=$(seconds 3 "sh -c 'i=0; while [ \$i -lt $single ]; do $bin get b key-\$i > /dev/null; i=\$((i+1)); done'")

python3 - "$ops" "$single" "$batch_set" "$batch_get" "$proc_set" "$proc_get" <<'PY'
import sys
ops, single = int(sys.argv[1]), int(sys.argv[2])
bs, bg, ps, pg = map(float, sys.argv[3:])
rates = {"batch set": ops / bs, "batch get": ops / bg, "process-per-op set": single / ps, "process-per-op get": single / pg}
for name, rate in rates.items():
    print(f"{name:20} {rate:10.0f} ops/s")
print(f"batch / process-per-op: set {rates['batch set'] / rates['process-per-op set']:.1f}x, get {rates['batch get'] / rates['process-per-op get']:.1f}x")
PY
