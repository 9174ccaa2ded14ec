#!/usr/bin/env bash
# The Docker stage of CI (issue 20): builds the hub image on a local base (no image can be pulled here),
# runs it, checks that a subscriber on the host receives its ticks and that /healthz answers, then runs the
# same check through docker compose with MariaDB. Prints the image size, the container's start-up time to
# the first tick, and each step's time. Fails (never skips) when Docker cannot run.
set -euo pipefail
cd "$(dirname "$0")/.."
DOCKER=/usr/bin/docker            # Debian's CLI (another one without buildx may be earlier on PATH)
export DOCKER_BUILDKIT=0
T0=$SECONDS
step() { echo "::docker $* ($((SECONDS - T0)) s)"; }

if ! "$DOCKER" info >/dev/null 2>&1; then
  step "starting dockerd (--iptables=false --bridge=none)"
  (/usr/sbin/dockerd --iptables=false --bridge=none >/tmp/mdhub-dockerd.log 2>&1 &)
  for _ in $(seq 1 60); do "$DOCKER" info >/dev/null 2>&1 && break; sleep 0.5; done
  "$DOCKER" info >/dev/null || { tail -20 /tmp/mdhub-dockerd.log; exit 1; }
fi

step "base image"
bash docker/make-test-base.sh mdhub-test-base:bookworm
step "building mdhub:test"
B0=$SECONDS
"$DOCKER" build -q --network host -f docker/Dockerfile --build-arg BASE=mdhub-test-base:bookworm -t mdhub:test . >/dev/null
BUILD_S=$((SECONDS - B0))
SIZE=$("$DOCKER" image inspect -f '{{.Size}}' mdhub:test)
step "image mdhub:test: $((SIZE / 1024 / 1024)) MB, built in ${BUILD_S} s"

PUB=17701 SNAP=17702 HTTP=17700
NAME=mdhub-ci-$$
cleanup() {
  "$DOCKER" rm -f "$NAME" >/dev/null 2>&1 || true
  "$DOCKER" volume rm -f "$NAME-data" >/dev/null 2>&1 || true
  if [ -n "${COMPOSE_UP:-}" ]; then docker-compose -p mdhubci -f docker/compose.yaml -f docker/test/compose.test.yaml --env-file docker/test/ci.env down -v >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

step "docker run (host network, PUB :$PUB, HTTP 127.0.0.1:$HTTP)"
START_MS=$(date +%s%3N)
"$DOCKER" run -d --name "$NAME" --network host -v "$NAME-data:/data" -e MDHUB_HEALTH_URL="http://127.0.0.1:$HTTP/healthz" mdhub:test \
  start --data-dir /data --pub "tcp://0.0.0.0:$PUB" --snapshot "tcp://0.0.0.0:$SNAP" --http "127.0.0.1:$HTTP" --hub-id docker --log-format json >/dev/null
FIRST=$(node docker/test/first-tick.mjs "tcp://127.0.0.1:$PUB" "$START_MS" 120) || { "$DOCKER" logs --tail 40 "$NAME"; exit 1; }
step "first tick on the host: $FIRST"
for _ in $(seq 1 60); do curl -fsS "http://127.0.0.1:$HTTP/healthz" >/tmp/mdhub-docker-healthz.json 2>/dev/null && break; sleep 0.5; done
curl -fsS "http://127.0.0.1:$HTTP/healthz" | head -c 300; echo
curl -fsS "http://127.0.0.1:$HTTP/" | grep -q '/_next/static/' || { echo "the image does not serve the built dashboard"; exit 1; }
step "the dashboard is served"
"$DOCKER" exec "$NAME" sh -c 'test -s /data/logs/current.log && tail -n 1 /data/logs/current.log | grep -q "\"level\""' || { echo "no JSON log file in the volume (/data/logs/current.log)"; exit 1; }
step "log files on the volume: /data/logs/current.log"
[ "$("$DOCKER" inspect -f '{{.Config.User}}' "$NAME")" = mdhub ] || { echo "the container does not run as mdhub"; exit 1; }
for _ in $(seq 1 40); do [ "$("$DOCKER" inspect -f '{{.State.Health.Status}}' "$NAME")" = healthy ] && break; sleep 1; done
HEALTH=$("$DOCKER" inspect -f '{{.State.Health.Status}}' "$NAME")
step "container health: $HEALTH"
[ "$HEALTH" = healthy ]
"$DOCKER" stop -t 20 "$NAME" >/dev/null
"$DOCKER" inspect -f 'exit code {{.State.ExitCode}}' "$NAME"

step "compose: building the local MariaDB image"
"$DOCKER" build -q --network host -f docker/test/mariadb.Dockerfile -t mdhub-test-mariadb:latest docker/test >/dev/null
cat > docker/test/ci.env <<ENV
MDHUB_DB_PASSWORD=ci-db-pw
MARIADB_ROOT_PASSWORD=ci-root-pw
MDHUB_DB_PORT=13306
MDHUB_DB_URL=mysql://mdhub:ci-db-pw@127.0.0.1:13306/mdhub
MDHUB_SECRET_KEY=$(node -e 'console.log(require("crypto").randomBytes(32).toString("hex"))')
MDHUB_PUB_PORT=17801
MDHUB_SNAPSHOT_PORT=17802
MDHUB_HTTP_PORT=17800
MDHUB_VENDOR_DIR=/tmp
ENV
step "compose up (hub + MariaDB)"
COMPOSE_UP=1
DC=(docker-compose -p mdhubci -f docker/compose.yaml -f docker/test/compose.test.yaml --env-file docker/test/ci.env)
"${DC[@]}" up -d --no-build mariadb
for _ in $(seq 1 90); do [ "$("$DOCKER" inspect -f '{{.State.Health.Status}}' mdhubci_mariadb_1 2>/dev/null)" = healthy ] && break; sleep 1; done
step "compose: MariaDB healthy; the schema, as an operator makes it once (db migrate)"
"${DC[@]}" run --rm --no-deps hub db migrate
"${DC[@]}" run --rm --no-deps hub db seed-demo     # three simulated sources (no vendor library here)
C0=$(date +%s%3N)
"${DC[@]}" up -d --no-build hub
FIRST=$(node docker/test/first-tick.mjs "tcp://127.0.0.1:17801" "$C0" 180) || { "${DC[@]}" logs --tail 40; exit 1; }
step "compose: first tick on the host: $FIRST"
curl -fsS "http://127.0.0.1:17800/healthz" | grep -q '"db":{"up":true' || { echo "compose: /healthz does not show the database up"; curl -sS "http://127.0.0.1:17800/healthz"; exit 1; }
step "compose: /healthz answers with the database up"
"${DC[@]}" down -v
COMPOSE_UP=
rm -f docker/test/ci.env
step "done: image $((SIZE / 1024 / 1024)) MB, built in ${BUILD_S} s"
