#!/usr/bin/env bash
# Runs the ledger on its embedded default: `loyalty serve` with the sample
# program loaded, data in ./data. Extra arguments go to `loyalty serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
# The same build as the tests (one feature set, one cache of RocksDB).
cargo build --workspace --all-targets
exec "$CARGO_TARGET_DIR/debug/loyalty" serve "$@"
