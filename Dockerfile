# wagate as an appliance: a release build in a Rust image, copied into a
# slim Debian runtime that runs as a non-root user. Auth state, the embedded
# database and inbound media live in the /data/sessions volume.
#
# Builds on a plain Docker engine (Debian's docker.io, compose v1, a CLI
# without buildx) as well as with BuildKit: no cache mounts, no syntax
# frontend to pull. The dependencies are compiled in a layer of their own,
# made from the manifests alone, so a change to the sources rebuilds only
# wagate. The base images are named by version; pass --build-arg to pin a
# digest or use a mirror.
ARG RUST_IMAGE=rust:1.94-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

# The runtime comes first and is a target of its own: `--target runtime`
# builds it without the Rust stage (scripts/docker-smoke.sh --binary).
FROM ${RUNTIME_IMAGE} AS runtime
# ca-certificates: the gateway trusts the system's store (and its bundled
# web roots beside it), so a private CA added here or mounted is trusted.
# libopus0: voice notes are encoded with the system's libopus.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libopus0 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 wagate \
 && useradd --system --uid 10001 --gid wagate --home-dir /data --shell /usr/sbin/nologin wagate \
 && mkdir -p /data/sessions \
 && chown -R wagate:wagate /data
ENV HOST=0.0.0.0 \
    PORT=8080 \
    SESSION_DIR=/data/sessions \
    LOG_FORMAT=json
USER wagate
WORKDIR /data
VOLUME /data/sessions
EXPOSE 8080
# The binary checks itself: GET http://127.0.0.1:$PORT/healthz, exit 0 on 200.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["wagate", "healthcheck"]
# SIGTERM starts the graceful shutdown, bounded by SHUTDOWN_TIMEOUT (8 s by
# default: inside `docker stop`'s 10 s; compose files allow 40 s).
STOPSIGNAL SIGTERM
ENTRYPOINT ["wagate"]
CMD ["serve"]

FROM ${RUST_IMAGE} AS builder
# libopus-dev: voice notes link the system's libopus (found with pkg-config).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libopus-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The manifests cargo loads (bench/ is a workspace member; loopback/ is an
# optional dependency, off here but resolved) and stand-in sources: enough
# for cargo to build every dependency.
COPY Cargo.toml Cargo.lock ./
COPY bench/Cargo.toml bench/
COPY loopback/Cargo.toml loopback/
RUN mkdir -p src bench/src loopback/src \
 && echo 'fn main() {}' > src/main.rs \
 && echo 'fn main() {}' > bench/src/main.rs \
 && touch src/lib.rs loopback/src/lib.rs \
 && cargo build --release --locked --bin wagate \
 && rm -rf src bench/src loopback/src target/release/.fingerprint/wagate-* target/release/deps/wagate-* target/release/deps/libwagate-*
COPY . .
RUN cargo build --release --locked --bin wagate \
 && install -D -m 0755 target/release/wagate /out/wagate

FROM runtime
COPY --from=builder /out/wagate /usr/local/bin/wagate
