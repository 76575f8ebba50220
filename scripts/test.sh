#!/usr/bin/env bash
# The whole test suite: `scripts/test.sh [CARGO TEST ARGS...]`. The Redis tests
# start real servers, so this installs the `redis-server` Debian package
# (redis-server and redis-cli) when either is missing, then runs
# `cargo test --locked` with the arguments given.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
    command -v apt-get >/dev/null ||
        { echo "scripts/test.sh: redis-server is missing; install it (the Redis tests need it)" >&2; exit 1; }
    sudo=()
    [ "$(id -u)" = 0 ] || sudo=(sudo)
    echo "scripts/test.sh: installing redis-server (the Redis tests start real servers)" >&2
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq >&2
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends redis-server >&2
fi
exec cargo test --locked "$@"
