#!/usr/bin/env bash
# Smoke test of the image and docker-compose.yml on a running Docker engine,
# the way a user runs them: builds the image, starts the compose file (the
# gateway with Redis) on the sim backend, and checks that it turns healthy,
# that an instance linked on the sim stays ONLINE across a restart without a
# scan, that `docker stop` during a slow send exits 0 and the sends go out
# once each, what a root-owned bind mount does, and that an arbitrary
# `--user` runs when its folder is writable. Prints PASS/FAIL lines; exits
# non-zero at the first failure; removes what it started on exit.
#
# Runs with compose v2 (`docker compose`) or v1 (`docker-compose`), BuildKit
# or the classic builder. Needs curl and jq. Options:
#   --image NAME   test an image already built (skips the build)
#   --binary PATH  build only the Dockerfile's runtime stage and copy this
#                  host-built binary into it (where the Rust image cannot be
#                  pulled; the full build is what the GitHub workflow runs)
#   --local-base   no registry: use local stand-ins for the base images, made
#                  if absent (needs root, debootstrap and a Debian mirror,
#                  SMOKE_DEBIAN_MIRROR): wagate-local/bookworm-slim (a
#                  debootstrap of bookworm), wagate-local/redis (Debian's
#                  redis-server on it) and, for a full build, wagate-local/rust
#                  (this host's Rust toolchain on it)
#   --keep         leave the containers, volumes and image for a look
# SMOKE_PORT (default 18080) is the host port the gateway is published on.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
image="" binary="" local_base=false keep=false
port=${SMOKE_PORT:-18080}
while [ $# -gt 0 ]; do
  case $1 in
    --image) image=$2; shift 2 ;;
    --binary) binary=$(realpath "$2"); shift 2 ;;
    --local-base) local_base=true; shift ;;
    --keep) keep=true; shift ;;
    -h | --help) sed -n '2,24p' "$0" | cut -c3-; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

project=wagatesmoke
test_image=${image:-wagate-smoke:test}
user_container=wagate-smoke-user
key=smoke-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
work=$(mktemp -d)
compose_files=(-f "$work/docker-compose.yml" -f "$work/smoke.yml")
started=$(date +%s)

say() { echo "[$(($(date +%s) - started))s] $*"; }
pass() { echo "PASS: $*"; }
fail() {
  echo "FAIL: $*"
  local gateway
  gateway=$(compose ps -q wagate 2>/dev/null || true)
  if [ -n "$gateway" ]; then
    echo "---- last lines of the gateway's log"
    docker logs --tail 30 "$gateway" 2>&1 || true
  fi
  exit 1
}

if docker compose version >/dev/null 2>&1; then
  compose_cmd=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
  compose_cmd=(docker-compose)
else
  echo "FAIL: neither 'docker compose' nor 'docker-compose' is installed" >&2
  exit 1
fi
compose() { (cd "$work" && "${compose_cmd[@]}" -p "$project" "${compose_files[@]}" "$@"); }
for tool in curl jq; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is needed" >&2; exit 1; }
done

# root_sh SCRIPT DOCKER-RUN-OPTIONS...: a shell as root in the test image,
# to reach files the gateway's users own.
root_sh() { docker run --rm --user 0 --entrypoint sh "${@:2}" "$test_image" -c "$1"; }

cleanup() {
  local code=$?
  if $keep; then
    say "kept: compose project $project in $work, container $user_container, image $test_image"
    exit "$code"
  fi
  compose down -v --remove-orphans >/dev/null 2>&1 || true
  docker rm -f "$user_container" >/dev/null 2>&1 || true
  # Folders the containers made belong to other users: removed from inside.
  root_sh 'rm -rf /w/sessions /w/writable' -v "$work:/w" >/dev/null 2>&1 || true
  rm -rf "$work"
  if [ -z "$image" ]; then
    docker rmi "$test_image" wagate-smoke:runtime >/dev/null 2>&1 || true
  fi
  exit "$code"
}
trap cleanup EXIT

# ---- local stand-ins for the base images (--local-base)

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }
# built COMMAND...: a build, its output kept in build.log and shown if it fails.
built() { "$@" >>"$work/build.log" 2>&1 || { tail -40 "$work/build.log"; fail "$*"; }; }

make_local_base() {
  image_exists wagate-local/bookworm-slim && return
  say "making wagate-local/bookworm-slim with debootstrap"
  local rootfs="$work/rootfs"
  debootstrap --variant=minbase bookworm "$rootfs" "${SMOKE_DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$work/debootstrap.log" 2>&1 \
    || { tail -5 "$work/debootstrap.log"; fail "debootstrap of bookworm"; }
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | docker import -c 'CMD ["bash"]' - wagate-local/bookworm-slim >/dev/null
  rm -rf "$rootfs"
}

# Debian's redis-server in the role of redis:7-alpine: same command line
# and health check; protected mode off, as in the official image (Redis is
# reached only on the compose network).
make_local_redis() {
  image_exists wagate-local/redis && return
  say "making wagate-local/redis"
  built docker build --network host -t wagate-local/redis - <<'EOF'
FROM wagate-local/bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends redis-server \
 && rm -rf /var/lib/apt/lists/* && mkdir -p /data && chown redis:redis /data \
 && printf '#!/bin/sh\nexec /usr/bin/redis-server "$@" --protected-mode no\n' > /usr/local/bin/redis-server \
 && chmod 0755 /usr/local/bin/redis-server
WORKDIR /data
USER redis
CMD ["redis-server"]
EOF
}

# This host's Rust toolchain in the role of the rust image, with the host's
# own CA certificates (a TLS-inspecting proxy in front of crates.io).
make_local_rust() {
  image_exists wagate-local/rust && return
  say "making wagate-local/rust from $(rustc --version)"
  local context="$work/rust" sysroot
  sysroot=$(rustc --print sysroot)
  mkdir -p "$context/toolchain" "$context/ca"
  cp -a "$sysroot/bin" "$sysroot/lib" "$context/toolchain/"
  cp /usr/local/share/ca-certificates/*.crt "$context/ca/" 2>/dev/null || true
  cat >"$context/Dockerfile" <<'EOF'
FROM wagate-local/bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev make pkg-config ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY ca/ /usr/local/share/ca-certificates/
RUN update-ca-certificates
COPY toolchain /usr/local/rust
ENV PATH=/usr/local/rust/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    CARGO_HOME=/usr/local/cargo
EOF
  built docker build --network host -t wagate-local/rust "$context"
  rm -rf "$context"
}

# ---- the image

build_args=()
if $local_base; then
  make_local_base
  make_local_redis
  # The stand-ins are built with the host's network: with `dockerd
  # --iptables=false` a build container has no route out.
  build_args=(--network host --build-arg RUNTIME_IMAGE=wagate-local/bookworm-slim)
fi

if [ -n "$image" ]; then
  say "testing the image $image"
elif [ -n "$binary" ]; then
  say "building the runtime stage, with the host-built binary $binary"
  built docker build "${build_args[@]}" --target runtime -t wagate-smoke:runtime "$repo"
  mkdir "$work/binary"
  install -m 0755 "$binary" "$work/binary/wagate"
  printf 'FROM wagate-smoke:runtime\nCOPY wagate /usr/local/bin/wagate\n' >"$work/binary/Dockerfile"
  built docker build -t "$test_image" "$work/binary"
else
  if $local_base; then
    make_local_rust
    build_args+=(--build-arg RUST_IMAGE=wagate-local/rust)
  fi
  say "building the image from the Dockerfile"
  built docker build "${build_args[@]}" -t "$test_image" "$repo"
fi
size=$(docker image inspect -f '{{.Size}}' "$test_image")
pass "image $test_image ready ($((size / 1000000)) MB)"

# ---- the compose project: the repository's docker-compose.yml, unchanged,
# with an override naming the test image, and an .env of its own.

cp "$repo/docker-compose.yml" "$work/"
{
  echo "services:"
  echo "  wagate:"
  echo "    image: $test_image"
  if $local_base; then
    echo "  redis:"
    echo "    image: wagate-local/redis"
  fi
} >"$work/smoke.yml"
# A send takes 20 s on the sim: longer than a bare `docker stop`'s 10 s, so
# only compose's stop_grace_period (40 s) lets it finish; SHUTDOWN_TIMEOUT
# is raised with it, as the docs say to.
cat >"$work/.env" <<EOF
PORT=$port
API_KEY=$key
WA_BACKEND=sim
SIM_SEND_DELAY_MS=20000
TEXT_DELAY_MS=500
SHUTDOWN_TIMEOUT=30s
EOF

api() {
  curl -sS --fail-with-body --max-time 10 -H "x-api-key: $key" -H 'content-type: application/json' \
    "http://127.0.0.1:$port$1" "${@:2}"
}
# wait_until SECONDS COMMAND...: true once COMMAND succeeds, false at the end.
wait_until() {
  local until=$(($(date +%s) + $1))
  shift
  until "$@" 2>/dev/null; do
    [ "$(date +%s)" -lt "$until" ] || return 1
    sleep 0.5
  done
}
gateway_id() { compose ps -q wagate; }
state() { docker inspect -f "$1" "$(gateway_id)"; }
health_is() { [ "$(state '{{.State.Health.Status}}')" = "$1" ]; }
answers() { curl -fsS --max-time 2 "http://127.0.0.1:$port/healthz" >/dev/null; }
instance_is() { [ "$(api /api/wa/status/smoke | jq -r .status)" = "$1" ]; }

# ---- 1. healthy, as uid 10001, on loopback only

say "compose up (${compose_cmd[*]})"
compose up -d >"$work/up.log" 2>&1 || { cat "$work/up.log"; fail "compose up"; }
wait_until 120 health_is healthy || fail "not healthy after 120 s: $(state '{{json .State.Health}}')"
pass "healthy: Docker's HEALTHCHECK (wagate healthcheck) reports healthy"
uid=$(docker exec "$(gateway_id)" id -u)
[ "$uid" = 10001 ] || fail "runs as uid $uid, not 10001"
pass "the gateway runs as uid 10001"
published=$(docker port "$(gateway_id)" | sort -u)
[ "$published" = "$port/tcp -> 127.0.0.1:$port" ] || fail "published as: $published"
pass "published on the host's loopback only ($published): /metrics is not open to the network"
if docker logs "$(gateway_id)" 2>&1 | grep -q healthz; then fail "health checks are logged"; fi
pass "the health checks wrote no log lines"

# ---- 2. an instance linked on the sim

api /api/instances -d '{"instanceId":"smoke"}' >/dev/null || fail "creating the instance"
api /api/sim/smoke/scan -d '{"phone":"+15550001111"}' >/dev/null || fail "the sim scan"
wait_until 30 instance_is ONLINE || fail "not ONLINE after the scan"
pass "instance smoke linked on the sim (POST /api/sim/smoke/scan): ONLINE"

# ---- 3. a restart keeps it ONLINE without a scan

before=$(state '{{.State.StartedAt}}')
compose restart wagate >/dev/null 2>&1 || fail "compose restart"
[ "$(state '{{.State.StartedAt}}')" != "$before" ] || fail "the container did not restart"
wait_until 60 answers || fail "no answer after the restart"
wait_until 30 instance_is ONLINE || fail "not ONLINE after the restart: $(api /api/wa/status/smoke)"
pass "after 'compose restart wagate' (a new process) the instance is ONLINE again, no scan"

# ---- 4. docker stop during a slow send

send() {
  api /api/send -d "{\"instanceId\":\"smoke\",\"to\":\"+5511999999999\",\"message\":\"$1\"}" | jq -r .id
}
in_flight() { [ "$(api /api/send/stats | jq -r .stats.active)" -ge 1 ]; }
first=$(send "smoke one") || fail "queueing a send"
second=$(send "smoke two") || fail "queueing a send"
wait_until 20 in_flight || fail "the first send did not start"
say "a 20 s send in flight, the second queued; docker stop (the container's stop timeout: $(state '{{.Config.StopTimeout}}') s)"
gateway=$(gateway_id)
stop_started=$(date +%s)
docker stop "$gateway" >/dev/null
took=$(($(date +%s) - stop_started))
code=$(docker inspect -f '{{.State.ExitCode}}' "$gateway")
[ "$code" = 0 ] || fail "docker stop: exit code $code after $took s (137: killed mid-send)"
pass "docker stop during a send: exit code 0 after $took s"
if [ "$took" -gt 10 ]; then
  pass "the stop took longer than a bare docker stop's 10 s: the compose stop timeout kept it from being killed"
fi
# What the sim network had received when the process stopped.
received=$(root_sh 'cat /data/sessions/instances/smoke/sim-sent.jsonl' --volumes-from "$gateway")
echo "$received" | jq -e --arg id "$first" 'select(.id == $id)' >/dev/null \
  || fail "the send in flight was not finished during the stop: $received"
pass "the send in flight ($first) was finished before the process stopped"
compose start wagate >/dev/null 2>&1 || fail "compose start"
wait_until 60 answers || fail "no answer after the start"
went_out() {
  local id status
  for id in "$first" "$second"; do
    status=$(api "/api/messages/$id" | jq -r .message.status)
    case $status in sent | delivered | read) ;; *) return 1 ;; esac
  done
}
wait_until 60 went_out || fail "not both sent: $(api /api/messages/"$first") $(api /api/messages/"$second")"
sent=$(api /api/sim/smoke/sent)
once=$(echo "$sent" | jq --arg a "$first" --arg b "$second" \
  '[.[] | select(.id == $a or .id == $b)] | length == 2 and all(.attempts == 1)')
[ "$once" = true ] || fail "not once each: $sent"
pass "after the restart the queued send ($second) went out: both reached the network once each, none lost"

# ---- 5. a root-owned bind mount

mkdir "$work/sessions"
root_sh 'chown 0:0 /s && chmod 0755 /s' -v "$work/sessions:/s"
cat >"$work/bind.yml" <<'EOF'
services:
  wagate:
    volumes:
      - ./sessions:/data/sessions
EOF
# Removed first: compose v1 would keep the named volume of the container it
# replaces ("Host mapping ... has no effect").
compose rm -sf wagate >/dev/null 2>&1 || fail "compose rm wagate"
compose_files+=(-f "$work/bind.yml")
compose up -d wagate >/dev/null 2>&1 || fail "compose up with the bind mount"
say "./sessions owned by root mounted at /data/sessions; watching for 20 s"
sleep 20
log=$(docker logs "$(gateway_id)" 2>&1)
hint='chown -R 10001:10001 <the folder mounted at /data/sessions>'
grep -qF "$hint" <<<"$log" || fail "no chown hint in the log: $log"
others=$(grep -vF "$hint" <<<"$log" | grep -c . || true)
[ "$others" = 0 ] || fail "other lines beside the hint: $log"
code=$(state '{{.State.ExitCode}}')
[ "$code" != 0 ] || fail "exit code 0"
restarts=$(state '{{.RestartCount}}')
pass "root-owned bind mount: exit code $code, and each try writes this one line: $(head -1 <<<"$log")"
say "what 'compose ps' shows:"
compose ps
pass "restart: unless-stopped retries with Docker's growing pause ($restarts restarts in 20 s: 0.1 s, doubling, at most 1 min), the line every time"
root_sh 'chown -R 10001:10001 /s' -v "$work/sessions:/s"
wait_until 90 answers || fail "not started after the chown"
pass "after the chown the next retry starts it by itself (no compose command)"
compose down -v >/dev/null 2>&1

# ---- 6. an arbitrary --user with a writable folder (OpenShift's way: a
# random uid in group 0, a folder group 0 may write)

mkdir "$work/writable"
root_sh 'chown 0:0 /s && chmod 0770 /s' -v "$work/writable:/s"
docker run -d --name "$user_container" --user 4242:0 --stop-timeout 40 -e WA_BACKEND=sim \
  -v "$work/writable:/data/sessions" "$test_image" >/dev/null
user_ok() { docker exec "$user_container" wagate healthcheck; }
wait_until 30 user_ok || fail "--user 4242:0 did not start: $(docker logs "$user_container" 2>&1 | tail -5)"
owner=$(root_sh 'stat -c %u:%g /s/api-key /s/wagate.db | sort -u' -v "$work/writable:/s")
[ "$owner" = 4242:0 ] || fail "its files belong to $owner"
docker exec "$user_container" wagate api-key >/dev/null || fail "wagate api-key as 4242"
pass "--user 4242:0 on a folder root:root 0770: answers, its API key and database belong to 4242:0"
docker stop "$user_container" >/dev/null
code=$(docker inspect -f '{{.State.ExitCode}}' "$user_container")
[ "$code" = 0 ] || fail "docker stop: exit code $code"
pass "docker stop: exit code 0"

say "all checks passed"
