#!/usr/bin/env bash
# Fuzz every decoder: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
# Installs cargo-fuzz if needed. The toolchain is stable, so RUSTC_BOOTSTRAP lets
# cargo-fuzz pass the sanitizer flags it needs.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(journal snapshot documents records inspect)
fi

command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz

host=$(rustc --print host-tuple)
for target in "${targets[@]}"; do
  echo "== fuzzing $target for ${seconds}s"
  RUSTC_BOOTSTRAP=1 cargo fuzz run --target "$host" "$target" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 2>&1 \
    | grep -E "^(==|#[0-9]+ *DONE|stat::number_of_executed_units|stat::peak_rss|SUMMARY|ERROR)" || true
  if [ -d "artifacts/$target" ] && [ -n "$(ls -A "artifacts/$target" 2>/dev/null)" ]; then
    echo "crashes found in fuzz/artifacts/$target" >&2
    exit 1
  fi
done
