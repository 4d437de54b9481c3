#!/usr/bin/env bash
# Runs every check and test: format, clippy (warnings are errors), then all
# unit, property and end-to-end tests of the workspace (processes and
# containers; the images are built locally first).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
install_tansu
echo "== cargo fmt --check" >&2
cargo fmt --all -- --check
echo "== cargo clippy" >&2
cargo clippy --workspace --all-targets -- -D warnings
echo "== container images (FROM scratch, built locally)" >&2
./scripts/images.sh
echo "== cargo test" >&2
cargo test --workspace --all-targets
