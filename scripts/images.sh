#!/usr/bin/env bash
# Builds the project's container images locally, FROM scratch: each binary
# with exactly the shared libraries ldd lists for it. No registry is needed.
# Images: loyalty/<name>:dev for command-service, projector, query-service,
# loyalty and tansu. Idempotent: unchanged inputs reuse Docker's cache.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
install_tansu
# The same build (and feature set) as `cargo test --workspace --all-targets`,
# so the images and the tests share one set of artifacts.
cargo build --workspace --all-targets --quiet

context_root="$LOYALTY_CACHE/images"
mkdir -p "$context_root"

build_image() {
    local name="$1" binary="$2" extra="${3:-}"
    local ctx="$context_root/$name"
    rm -rf "$ctx" && mkdir -p "$ctx/rootfs/usr/local/bin" "$ctx/rootfs/tmp" "$ctx/rootfs/data"
    cp "$binary" "$ctx/rootfs/usr/local/bin/$name"
    # Shared libraries and the dynamic loader, at the paths the binary expects.
    for lib in $(ldd "$binary" | awk '$2 == "=>" { print $3 } $1 ~ /ld-linux/ && $2 != "=>" { print $1 }'); do
        mkdir -p "$ctx/rootfs$(dirname "$lib")"
        cp -L "$lib" "$ctx/rootfs$lib"
    done
    chmod 1777 "$ctx/rootfs/tmp"
    cat > "$ctx/Dockerfile" <<DOCKERFILE
FROM scratch
COPY rootfs/ /
ENV PATH=/usr/local/bin
WORKDIR /data
ENTRYPOINT ["/usr/local/bin/$name"]
$extra
DOCKERFILE
    DOCKER_BUILDKIT=0 docker build --quiet --tag "loyalty/$name:dev" "$ctx" >/dev/null
    echo "image loyalty/$name:dev" >&2
}

for bin in command-service projector query-service loyalty; do
    build_image "$bin" "$CARGO_TARGET_DIR/debug/$bin"
done
# Tansu 0.6.0 stops its storage before its connections: on SIGTERM for 5 s,
# on SIGINT for a few ms, produces are answered UNKNOWN_SERVER_ERROR;
# librdkafka then bumps its idempotent epoch locally, and the restarted
# broker's sqlite engine panics on that epoch and serves no storage. A kill
# leaves no such window (clients see a dropped connection and retry with
# their epoch), and sqlite keeps every committed write.
build_image tansu "$TANSU_BIN" "STOPSIGNAL SIGKILL"
