#!/usr/bin/env bash
# The cost of hit counting on `get`: one hyperfine run times the same hit with
# counting on and with --no-stats (counting off), without a shell, and prints
# the ratio of their medians.
#
#   scripts/bench-stats.sh
#
# Environment (all optional):
#   ENTRIES=10000    entries in the cache
#   RUNS=2000        hyperfine runs per command
#   OUT=target/bench-stats   where the hyperfine JSON file is written
#
# Needs cargo, hyperfine and python3. The store lives in a temporary directory
# that is removed on exit.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

ENTRIES=${ENTRIES:-10000}
RUNS=${RUNS:-2000}
OUT=${OUT:-target/bench-stats}
CACHE=bench

die() {
    echo "bench-stats: $*" >&2
    exit 1
}

command -v hyperfine >/dev/null || die "hyperfine is missing (apt-get install hyperfine, or cargo install hyperfine)"
command -v python3 >/dev/null || die "python3 is missing"

echo "== building (release)" >&2
cargo build --release --bin cacheman --example fill >&2
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
host=$(rustc --print host-tuple)
BIN=$target_dir/$host/release/cacheman
FILL=$target_dir/$host/release/examples/fill

TMP=$(mktemp -d "${TMPDIR:-/tmp}/cacheman-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
STORE=$TMP/store
KEY=key-$((ENTRIES / 2))

echo "== filling a cache of $ENTRIES entries" >&2
"$FILL" "$STORE" "$CACHE" "$ENTRIES"
"$BIN" --dir "$STORE" get "$CACHE" "$KEY" >/dev/null || die "get $KEY missed"
[ -f "$STORE/caches/$CACHE/counters" ] || die "the counted get made no counters file"
"$BIN" --dir "$STORE" stats "$CACHE" --reset

mkdir -p "$OUT"
JSON=$OUT/get.json
echo "== get counted, get uncounted (one hyperfine run)" >&2
hyperfine -N --style basic --warmup 50 --runs "$RUNS" --export-json "$JSON" \
    -n counted "$BIN --dir $STORE get $CACHE $KEY" \
    -n uncounted "$BIN --dir $STORE --no-stats get $CACHE $KEY" >&2

hits=$("$BIN" --dir "$STORE" stats "$CACHE" --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["hits"])')
python3 - "$JSON" "$hits" <<'PY'
import json, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
counted, uncounted = results["counted"]["median"], results["uncounted"]["median"]
print(f"get counted:   median {counted * 1e3:.3f} ms")
print(f"get uncounted: median {uncounted * 1e3:.3f} ms")
print(f"counting overhead: ratio {counted / uncounted:.3f} ({(counted / uncounted - 1) * 100:+.1f}%)")
print(f"hits counted during the run: {sys.argv[2]}")
PY
