# Shared by the bench scripts: `source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"`
# after setting SCRIPT to the script's name. Builds the release binary and the
# fill example, checks for hyperfine and python3, and sets BIN and FILL.

die() {
    echo "$SCRIPT: $*" >&2
    exit 1
}

# hyperfine, installed with apt-get when missing and possible.
need_hyperfine() {
    if ! command -v hyperfine >/dev/null; then
        if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
            echo "$SCRIPT: installing hyperfine" >&2
            apt-get install -y hyperfine >&2 || { apt-get update >&2 && apt-get install -y hyperfine >&2; }
        fi
        command -v hyperfine >/dev/null || die "hyperfine is missing (apt-get install hyperfine, or cargo install hyperfine)"
    fi
    command -v python3 >/dev/null || die "python3 is missing"
}

# Builds the release binaries; sets BIN (cacheman) and FILL (examples/fill).
# With both BIN and FILL already set (to compare another build), builds nothing.
build_release() {
    if [ -n "${BIN:-}" ] && [ -n "${FILL:-}" ]; then
        [ -x "$BIN" ] && [ -x "$FILL" ] || die "BIN or FILL is not an executable"
        return
    fi
    echo "== building (release)" >&2
    cargo build --release --bin cacheman --example fill >&2
    local target_dir host
    target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
    host=$(rustc --print host-tuple)
    BIN=$target_dir/$host/release/cacheman
    FILL=$target_dir/$host/release/examples/fill
    [ -x "$BIN" ] || die "no binary at $BIN"
    [ -x "$FILL" ] || die "no fill example at $FILL"
}
