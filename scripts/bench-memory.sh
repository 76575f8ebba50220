#!/usr/bin/env bash
# Peak memory (RSS) of the commands whose memory must stay bounded, by
# /usr/bin/time -v (apt-get install time):
#   scripts/bench-memory.sh [ENTRIES] [BIN]   (default 1000000 entries, the release build)
# Imports ENTRIES small entries from stdin, then a `get` right after, the
# `sync` that follows and a `get` after it; then one 50 MiB binary value
# through `import`, `get --json` and `batch` get. Prints each peak in MB.
set -euo pipefail
cd "$(dirname "$0")/.."

entries=${1:-1000000}
if [ -n "${2:-}" ]; then
  bin=$2
else
  cargo build --release --quiet
  bin="$PWD/target/$(rustc --print host-tuple)/release/cacheman"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CACHEMAN_DIR="$work/store"

peak() { # label, command...: runs it, prints its peak RSS in MB
  local label=$1
  shift
  /usr/bin/time -v "$@" 2> "$work/time" > /dev/null < "${stdin:-/dev/null}"
  awk -v label="$label" '/Maximum resident set size/ { printf "%-34s %8.1f MB\n", label, $NF / 1024 }' "$work/time"
}

python3 - "$entries" > "$work/small.jsonl" <<'EOF'
import sys
for i in range(int(sys.argv[1])):
    print('{"key":"key-%d","value":"value-%d"}' % (i, i))
EOF
stdin="$work/small.jsonl" peak "import of $entries entries" "$bin" import many
ls -l "$CACHEMAN_DIR/caches/many" | awk '/journal|snap/ { printf "  %-32s %10d bytes\n", $NF, $5 }'
peak "get right after" "$bin" get many key-7
# A write that leaves a long journal starts a background sync: follow it.
sync_pid=$(pgrep -n -f -- "sync --background many" || true)
if [ -n "$sync_pid" ]; then
  hwm=0
  while h=$(awk '/VmHWM/ { print $2 }' "/proc/$sync_pid/status" 2> /dev/null) && [ -n "$h" ]; do
    hwm=$h
    sleep 0.02
  done
  printf "%-34s %8.1f MB\n" "the background sync it started" "$(echo "$hwm / 1024" | bc -l)"
fi
peak "sync" "$bin" sync many
peak "get after the sync" "$bin" get many key-7

python3 - > "$work/big.jsonl" <<'EOF'
import base64, os
value = base64.b64encode(os.urandom(50 << 20)).decode()
print('{"key":"big","value":{"bytes":"%s"}}' % value)
EOF
stdin="$work/big.jsonl" peak "import of one 50 MiB value" "$bin" import big
peak "get of it" "$bin" get big big
peak "get --json of it" "$bin" get --json big big
printf 'get big big\n' > "$work/batch"
stdin="$work/batch" peak "batch get of it" "$bin" batch
peak "export of it" "$bin" export big
