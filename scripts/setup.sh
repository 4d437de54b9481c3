#!/usr/bin/env bash
# Installs what the build needs, idempotently, and points cargo's build
# output at a cache outside the clone so later runs (and CI) reuse it.
# Sourced by scripts/run.sh and scripts/test.sh.
set -euo pipefail

LOYALTY_CACHE="${LOYALTY_CACHE:-$HOME/.cache/loyalty}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$LOYALTY_CACHE/target}"
mkdir -p "$CARGO_TARGET_DIR"

# The rocksdb crate compiles RocksDB from source; bindgen needs libclang.
need_apt=()
for pkg in clang libclang-dev; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ "${#need_apt[@]}" -gt 0 ]; then
    echo "setup: installing ${need_apt[*]} (Debian packages)" >&2
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

command -v cargo >/dev/null || { echo "setup: cargo (Rust toolchain) is required" >&2; exit 1; }

# Tansu 0.6.0, the Kafka-protocol broker the Kafka-mode tests and images use
# (about 10 minutes to build the first time; then cached). Called by the
# scripts that need it.
TANSU_ROOT="$LOYALTY_CACHE/tansu"
export TANSU_BIN="$TANSU_ROOT/bin/tansu"
install_tansu() {
    if [ ! -x "$TANSU_BIN" ] || [ "$(cat "$TANSU_ROOT/.version" 2>/dev/null)" != "0.6.0" ]; then
        echo "setup: installing the Tansu 0.6.0 broker from crates.io into $TANSU_ROOT" >&2
        CARGO_TARGET_DIR="$LOYALTY_CACHE/tansu-build" cargo install tansu --version 0.6.0 --locked \
            --features dynostore,libsql --root "$TANSU_ROOT" --quiet
        echo "0.6.0" > "$TANSU_ROOT/.version"
    fi
}
