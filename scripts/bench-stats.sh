#!/usr/bin/env bash
# The cost of hit counting on `get`: one hyperfine run times the same hit with
# counting on and with --no-stats (counting off), without a shell, and prints
# the ratio of their medians. The two alternate in ROUNDS rounds within the run,
# and each one's times are pooled, so a change in the machine's load during the
# run weighs on both alike. It checks that the counters saw every counted get
# (hits = runs + warmups) and ends with a verdict line against the goal of an
# overhead under 5%, exiting 1 when either fails.
#
#   scripts/bench-stats.sh
#
# Environment (all optional):
#   ENTRIES=10000    entries in the cache
#   RUNS=5000        hyperfine runs per command, in all
#   ROUNDS=30        rounds the runs are split into (shorter rounds follow
#                    the machine's load drift more closely)
#   OUT=target/bench-stats   where the hyperfine JSON file is written
#
# Needs cargo, hyperfine and python3. The store lives in a temporary directory
# that is removed on exit.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

ENTRIES=${ENTRIES:-10000}
RUNS=${RUNS:-5000}
ROUNDS=${ROUNDS:-30}
OUT=${OUT:-target/bench-stats}
CACHE=bench

SCRIPT=bench-stats
source scripts/lib.sh
need_hyperfine
build_release

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
commands=()
for round in $(seq "$ROUNDS"); do
    commands+=(-n "counted#$round" "$BIN --dir $STORE get $CACHE $KEY")
    commands+=(-n "uncounted#$round" "$BIN --dir $STORE --no-stats get $CACHE $KEY")
done
WARMUP=50
echo "== get counted, get uncounted, alternating in $ROUNDS rounds (one hyperfine run)" >&2
hyperfine -N --style basic --warmup "$WARMUP" --runs $((RUNS / ROUNDS)) --export-json "$JSON" "${commands[@]}" >&2

hits=$("$BIN" --dir "$STORE" stats "$CACHE" --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["hits"])')
# Exit 1 when the counters missed a hit, or when counting costs 5% or more.
python3 - "$JSON" "$hits" "$((WARMUP * ROUNDS))" <<'PY'
import json, sys
from statistics import median
GOAL = 1.05
times = {"counted": [], "uncounted": []}
for result in json.load(open(sys.argv[1]))["results"]:
    times[result["command"].split("#")[0]].extend(result["times"])
counted, uncounted = median(times["counted"]), median(times["uncounted"])
ratio = counted / uncounted
print(f"get counted:   median {counted * 1e3:.3f} ms over {len(times['counted'])} runs")
print(f"get uncounted: median {uncounted * 1e3:.3f} ms over {len(times['uncounted'])} runs")
print(f"counting overhead: ratio {ratio:.3f} ({(ratio - 1) * 100:+.1f}%)")
hits, expected = int(sys.argv[2]), len(times["counted"]) + int(sys.argv[3])
print(f"hits counted during the run: {hits} (expected {expected}: every counted get and warmup)")
failed = []
if hits != expected:
    failed.append(f"the counters saw {hits} hits, not {expected}")
if round(ratio, 3) >= GOAL:
    failed.append(f"counting costs {(ratio - 1) * 100:+.1f}%, over the goal of +{(GOAL - 1) * 100:.0f}%")
if failed:
    print("verdict: FAIL: " + "; ".join(failed))
    sys.exit(1)
print(f"verdict: PASS: counting costs {(ratio - 1) * 100:+.1f}% (goal: under +{(GOAL - 1) * 100:.0f}%), every hit counted")
PY
