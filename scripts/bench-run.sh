#!/usr/bin/env bash
# Times a `cacheman run` hit as a whole process beside `true`, the command run
# directly, and bkt's hit (when bkt is installed: `cargo install bkt`), all in
# ONE hyperfine run, and prints the medians and the ratios. The commands
# alternate in ROUNDS rounds within the run and each one's times are pooled,
# so a change in the machine's load during the run weighs on all alike.
#
#   scripts/bench-run.sh
#
# Environment (all optional):
#   RUNS=1000                 hyperfine runs per command, in all
#   ROUNDS=10                 rounds the runs are split into
#   OUT=target/bench-run      where the hyperfine JSON is written
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

RUNS=${RUNS:-1000}
ROUNDS=${ROUNDS:-10}
OUT=${OUT:-target/bench-run}
command -v hyperfine >/dev/null || { echo "bench-run: hyperfine is missing" >&2; exit 1; }

cargo build --release --quiet --bin cacheman
bin="$PWD/target/$(rustc --print host-tuple)/release/cacheman"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CACHEMAN_DIR="$work/store" BKT_CACHE_DIR="$work/bkt"
mkdir -p "$OUT" "$BKT_CACHE_DIR"

# The memoized step: small output on stdout and stderr, like a status command;
# and the same step keyed on an input file as well (cacheman by content, with
# its stat fingerprint short-cut; bkt by mtime).
step=(sh -c 'echo "on branch main"; echo "2 files changed" >&2')
quoted=$(printf '%q ' "${step[@]}")
input="$work/input.txt"
echo "some input" > "$input"
sleep 2.1 # a fingerprint is trusted once its file has been left alone for 2 s
named=(true true direct "$quoted")
named+=("cacheman run" "$bin run --ttl 1h -- $quoted")
named+=("cacheman run --input" "$bin run --ttl 1h --input $input -- $quoted")
if command -v bkt >/dev/null; then
    named+=(bkt "bkt --ttl=1h -- $quoted")
    named+=("bkt --modtime" "bkt --ttl=1h --modtime=$input -- $quoted")
else
    echo "bench-run: bkt is not installed (cargo install bkt); timing cacheman alone" >&2
fi
commands=()
for round in $(seq "$ROUNDS"); do
    for ((i = 0; i < ${#named[@]}; i += 2)); do
        commands+=(-n "${named[i]}#$round" "${named[i + 1]}")
    done
done

hyperfine -N --warmup 20 --runs $((RUNS / ROUNDS)) --export-json "$OUT/run.json" \
    --output=null "${commands[@]}" >&2

python3 - "$OUT/run.json" <<'PY'
import json, sys
from statistics import median
times = {}
for r in json.load(open(sys.argv[1]))["results"]:
    times.setdefault(r["command"].rsplit("#", 1)[0], []).extend(r["times"])
results = {name: median(samples) for name, samples in times.items()}
for name, median in results.items():
    print(f"{name:22} median {median * 1e3:7.3f} ms")
true, run = results["true"], results["cacheman run"]
print(f"cacheman run hit / true: {run / true:.2f}x")
if "bkt" in results:
    bkt = results["bkt"]
    print(f"cacheman run hit / bkt hit: {run / bkt:.2f}x")
    print(f"overhead above true: cacheman {(run - true) * 1e3:.3f} ms, bkt {(bkt - true) * 1e3:.3f} ms")
    with_input, bkt_modtime = results["cacheman run --input"], results["bkt --modtime"]
    print(f"with one input file: cacheman / bkt --modtime: {with_input / bkt_modtime:.2f}x")
PY
