#!/usr/bin/env bash
# Makes the local base image the Docker tests build on (no image can be pulled here): Debian bookworm
# (debootstrap --variant=minbase, from the mirror apt's sources name) plus this host's Node.js 20 (binary,
# npm, headers for native addons) and CA bundle (the registries are reached through a TLS-inspecting egress
# here), imported as IMAGE (default mdhub-test-base:bookworm). Production builds use an official image
# instead: docker build --build-arg BASE=node:20-bookworm-slim (see docs/operations.md).
set -euo pipefail
IMAGE=${1:-mdhub-test-base:bookworm}
DOCKER=${DOCKER:-/usr/bin/docker}
if "$DOCKER" image inspect "$IMAGE" >/dev/null 2>&1; then echo "$IMAGE exists"; exit 0; fi
MIRROR=$(grep -rhoE '^(URIs:|deb) +https?://[^ ]+/debian/?' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null | grep -v security | head -1 | awk '{print $2}' || true)
MIRROR=${MIRROR:-http://deb.debian.org/debian}
ROOT=$(mktemp -d /tmp/mdhub-base.XXXXXX)
trap 'rm -rf "$ROOT"' EXIT
debootstrap --variant=minbase bookworm "$ROOT/rootfs" "$MIRROR" >"$ROOT/debootstrap.log" 2>&1 || { tail -20 "$ROOT/debootstrap.log"; exit 1; }
NODE=$(readlink -f "$(command -v node)")
NODE_PREFIX=$(dirname "$(dirname "$NODE")")
install -m 0755 "$NODE" "$ROOT/rootfs/usr/bin/node"
mkdir -p "$ROOT/rootfs/usr/lib/node_modules" "$ROOT/rootfs/usr/include"
cp -a "$NODE_PREFIX/lib/node_modules/npm" "$ROOT/rootfs/usr/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$ROOT/rootfs/usr/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$ROOT/rootfs/usr/bin/npx"
cp -a "$NODE_PREFIX/include/node" "$ROOT/rootfs/usr/include/node"
# The host's bundle under its own name (apt's ca-certificates rewrites /etc/ssl/certs/ca-certificates.crt).
mkdir -p "$ROOT/rootfs/etc/ssl/certs"
cp /etc/ssl/certs/ca-certificates.crt "$ROOT/rootfs/etc/ssl/host-ca-bundle.crt"
cp /etc/ssl/certs/ca-certificates.crt "$ROOT/rootfs/etc/ssl/certs/ca-certificates.crt"
tar -C "$ROOT/rootfs" -c . | "$DOCKER" import \
  -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  -c 'ENV npm_config_cafile=/etc/ssl/host-ca-bundle.crt NODE_EXTRA_CA_CERTS=/etc/ssl/host-ca-bundle.crt' - "$IMAGE" >/dev/null
echo "$IMAGE: $("$DOCKER" image inspect -f '{{.Size}}' "$IMAGE") bytes"
