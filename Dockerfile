# syntax=docker/dockerfile:1
# wagate as an appliance: a release build in a Rust image, copied into a
# slim Debian runtime that runs as a non-root user. Auth state, the embedded
# database and inbound media live in the /data/sessions volume.

FROM rust:1-bookworm AS builder
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked \
 && install -D -m 0755 target/release/wagate /out/wagate

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 wagate \
 && useradd --system --uid 10001 --gid wagate --home-dir /data --shell /usr/sbin/nologin wagate \
 && mkdir -p /data/sessions \
 && chown -R wagate:wagate /data
COPY --from=builder /out/wagate /usr/local/bin/wagate
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
# SIGTERM starts the graceful shutdown (bounded by SHUTDOWN_TIMEOUT).
STOPSIGNAL SIGTERM
ENTRYPOINT ["wagate"]
CMD ["serve"]
