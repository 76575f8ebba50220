#!/usr/bin/env bash
# Times the cacheman binary as a whole process, the way shell scripts use it,
# against `cat` of one small file and `true`, at a small and a large cache size,
# and prints the ratios DESIGN.md's performance goals are stated in.
#
#   scripts/bench-cli.sh
#
# Environment (all optional):
#   SMALL=10  LARGE=1000000     entries in the two caches
#   GET_RUNS=2000               hyperfine runs per get/cat/true command
#   SET_RUNS=5000               hyperfine runs per set command; more than 2048
#                               makes one journal due, so the background sync
#                               it starts is inside the measurement
#   MEM_RUNS=5                  runs per peak-memory measurement (median kept)
#   PENDING=2047                unsynced journal records for the extra
#                               get@LARGE+pending command (2048 makes a sync due)
#   OUT=target/bench-cli        where the hyperfine JSON files are written
#
# Needs cargo, hyperfine (installed with apt-get when missing and possible) and
# python3. The stores live in a temporary directory that is removed on exit.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

SMALL=${SMALL:-10}
LARGE=${LARGE:-1000000}
GET_RUNS=${GET_RUNS:-2000}
SET_RUNS=${SET_RUNS:-5000}
MEM_RUNS=${MEM_RUNS:-5}
PENDING=${PENDING:-2047}
OUT=${OUT:-target/bench-cli}
CACHE=bench

SCRIPT=bench-cli
source scripts/lib.sh

label() {
    case $1 in
        1000000) echo 1M ;;
        *000000) echo "$(($1 / 1000000))M" ;;
        *000) echo "$(($1 / 1000))k" ;;
        *) echo "$1" ;;
    esac
}

need_hyperfine
build_release

TMP=$(mktemp -d "${TMPDIR:-/tmp}/cacheman-bench.XXXXXX")
cleanup() {
    # A background sync started by the set runs may still be writing.
    for store in "$TMP"/store-*; do
        [ -d "$store" ] && "$BIN" --dir "$store" sync "$CACHE" >/dev/null 2>&1 || true
    done
    rm -rf "$TMP"
}
trap cleanup EXIT

S=$(label "$SMALL")
L=$(label "$LARGE")
SMALL_STORE=$TMP/store-$S
LARGE_STORE=$TMP/store-$L
# Middle keys: their values are 16 bytes, like the file `cat` reads.
SMALL_KEY=key-$((SMALL / 2))
LARGE_KEY=key-$((LARGE / 2))
SMALL_FILE=$TMP/small-file
printf 'value-5-value-5-' >"$SMALL_FILE"

echo "== filling caches of $SMALL and $LARGE entries" >&2
"$FILL" "$SMALL_STORE" "$CACHE" "$SMALL"
"$FILL" "$LARGE_STORE" "$CACHE" "$LARGE"

check_hit() {
    local value
    value=$("$BIN" --dir "$1" get "$CACHE" "$2") || die "get $2 from $1 missed"
    [ ${#value} = 16 ] || die "get $2 from $1 printed '$value', not a 16-byte value"
}
check_hit "$SMALL_STORE" "$SMALL_KEY"
check_hit "$LARGE_STORE" "$LARGE_KEY"

# An extra: the large cache with PENDING overwrites in its journal, one short of
# a due sync, the most a reader replays in steady state.
PENDING_STORE=$TMP/store-$L-pending
cp -a "$LARGE_STORE" "$PENDING_STORE"
"$FILL" "$PENDING_STORE" "$CACHE" "$PENDING" --no-sync
check_hit "$PENDING_STORE" "$LARGE_KEY"

mkdir -p "$OUT"
GET_JSON=$OUT/get.json
SET_JSON=$OUT/set.json

# `cacheman --version` is the process start-up alone (exec, runtime, clap): what
# a get costs beyond it is the engine's work.
echo "== get: cat, true, cacheman --version, get@$S, get@$L, get@$L+pending (one hyperfine run)" >&2
hyperfine -N --style basic --warmup 50 --runs "$GET_RUNS" --export-json "$GET_JSON" \
    -n cat "cat $SMALL_FILE" \
    -n true "true" \
    -n version "$BIN --version" \
    -n "get@$S" "$BIN --dir $SMALL_STORE get $CACHE $SMALL_KEY" \
    -n "get@$L" "$BIN --dir $LARGE_STORE get $CACHE $LARGE_KEY" \
    -n "get@$L+pending" "$BIN --dir $PENDING_STORE get $CACHE $LARGE_KEY" >&2

# Peak memory before the set runs, while both journals are still empty. GNU
# time when there is one (RSS_TOOL=python forces the fallback). The fallback's
# figure cannot go below python's own size: the kernel counts the forked
# python's pages before the exec in the child's max RSS. So it measures `true`
# the same way too, and a figure at that floor says only "no more than this".
RSS_TOOL=${RSS_TOOL:-$([ -x /usr/bin/time ] && echo time || echo python)}
peak_rss_kb() {
    if [ "$RSS_TOOL" = time ]; then
        /usr/bin/time -f %M -o "$TMP/rss" "$@" >/dev/null
        cat "$TMP/rss"
    else
        python3 -c '
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$@"
    fi
}
median_rss_kb() {
    for _ in $(seq "$MEM_RUNS"); do peak_rss_kb "$@"; done | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
}
echo "== peak memory of get" >&2
RSS_SMALL=$(median_rss_kb "$BIN" --dir "$SMALL_STORE" get "$CACHE" "$SMALL_KEY")
RSS_LARGE=$(median_rss_kb "$BIN" --dir "$LARGE_STORE" get "$CACHE" "$LARGE_KEY")
RSS_FLOOR=$(median_rss_kb true)

echo "== set: set@$S, set@$L (overwriting one key)" >&2
hyperfine -N --style basic --warmup 20 --runs "$SET_RUNS" --export-json "$SET_JSON" \
    -n "set@$S" "$BIN --dir $SMALL_STORE set $CACHE $SMALL_KEY value-5-value-5-" \
    -n "set@$L" "$BIN --dir $LARGE_STORE set $CACHE $LARGE_KEY value-5-value-5-" >&2

# Wait for any background sync the set runs started, and time the last merge.
echo "== sync after the set runs" >&2
SYNC_START=$(date +%s.%N)
"$BIN" --dir "$LARGE_STORE" sync "$CACHE" >/dev/null
SYNC_END=$(date +%s.%N)
"$BIN" --dir "$SMALL_STORE" sync "$CACHE" >/dev/null

python3 - "$GET_JSON" "$SET_JSON" "$S" "$L" "$PENDING" "$RSS_TOOL" "$RSS_FLOOR" "$RSS_SMALL" "$RSS_LARGE" "$SYNC_START" "$SYNC_END" <<'EOF'
import json
import sys

get_json, set_json, s, l, pending, rss_tool, rss_floor, rss_s, rss_l, sync_start, sync_end = sys.argv[1:]
results = {}
for path in (get_json, set_json):
    with open(path) as f:
        for r in json.load(f)["results"]:
            results[r["command"]] = r

ms = lambda seconds: seconds * 1000
print()
print(f"{'command':<16} {'median':>9} {'mean':>9} {'stddev':>9} {'min':>9} {'max':>9} {'runs':>6}")
for name, r in results.items():
    print(
        f"{name:<16} {ms(r['median']):>7.3f}ms {ms(r['mean']):>7.3f}ms {ms(r['stddev'] or 0):>7.3f}ms"
        f" {ms(r['min']):>7.3f}ms {ms(r['max']):>7.3f}ms {len(r['times']):>6}"
    )

def ratio(a, b, goal, stat="median"):
    value = results[a][stat] / results[b][stat]
    verdict = "ok" if value <= goal else "MISSED"
    print(f"  {a + ' / ' + b:<26} {value:>6.2f}   (goal <= {goal}: {verdict})")

print("\nratios of medians (DESIGN.md, Performance goals)")
ratio(f"get@{s}", "cat", 1.2)
ratio(f"get@{l}", "cat", 1.2)
ratio(f"get@{l}", f"get@{s}", 1.15)
ratio(f"set@{l}", f"set@{s}", 1.15)
print(f"with {pending} records pending in the journal (not a design ratio, the steady-state worst case)")
ratio(f"get@{l}+pending", "cat", 1.2)
ratio(f"get@{l}+pending", f"get@{l}", 1.15)
print("ratio of means, which include any background sync the set runs started")
ratio(f"set@{l}", f"set@{s}", 1.15, stat="mean")
print("ratios of minimums, the least disturbed by other load on the machine")
ratio(f"get@{s}", "cat", 1.2, stat="min")
ratio(f"get@{l}", "cat", 1.2, stat="min")
ratio(f"get@{l}", f"get@{s}", 1.15, stat="min")
ratio(f"set@{l}", f"set@{s}", 1.15, stat="min")

rss_floor, rss_s, rss_l = int(rss_floor), int(rss_s), int(rss_l)
verdict = "ok" if rss_l <= 2 * rss_s else "MISSED"
print(f"\npeak memory (max RSS) of get, measured with {rss_tool}")
print(f"  {'true':<26} {rss_floor:>6} KiB")
print(f"  {'get@' + s:<26} {rss_s:>6} KiB")
print(f"  {'get@' + l:<26} {rss_l:>6} KiB")
print(f"  {'get@' + l + ' / get@' + s:<26} {rss_l / rss_s:>6.2f}   (goal <= 2: {verdict})")
if rss_tool == "python" and min(rss_s, rss_l) <= rss_floor * 1.05:
    print("  (at the python launcher's floor, so only an upper bound: install GNU time)")
print(f"\nsync of the {l} cache after the set runs: {float(sync_end) - float(sync_start):.2f} s"
      " (waits for a running background sync first)")
print(f"hyperfine JSON: {get_json} {set_json}")
EOF
