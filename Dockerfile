# syntax=docker/dockerfile:1
#
# tend in a container: a release build in the Rust image, then only the
# binary in a small Debian runtime, run as an unprivileged user.
#
#   docker build -t tend .
#   docker compose -f deploy/docker-compose.yml up
#
# The build never needs a database: queries are checked against the committed
# offline data in .sqlx/ (SQLX_OFFLINE=true). Migrations, the default
# configuration and the nudge catalog are compiled into the binary.

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
ENV SQLX_OFFLINE=true \
    CARGO_TERM_COLOR=never
COPY . .
# Cache mounts keep the registry and the target folder between builds; the
# binary is copied out because the cached target folder is not in the layer.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin tend \
    && install -D -m 0755 target/release/tend /out/tend

FROM debian:bookworm-slim AS runtime
# A fixed uid/gid so volumes and Kubernetes' runAsNonRoot can rely on it.
RUN groupadd --system --gid 10001 tend \
    && useradd --system --uid 10001 --gid tend --home-dir /var/lib/tend --create-home --shell /usr/sbin/nologin tend
COPY --from=build /out/tend /usr/local/bin/tend
WORKDIR /var/lib/tend
# Production by default: tend refuses to start without real link keys
# (TEND__SECURITY__LINK_KEYS), so a forgotten secret fails loudly.
ENV TEND__ENVIRONMENT=production \
    TEND__HTTP__BIND=0.0.0.0:8080 \
    TEND__MAIL__OUTBOX_DIR=/var/lib/tend/outbox
USER 10001:10001
EXPOSE 8080
# `tend healthcheck` asks /healthz at http.bind itself, so no curl is needed.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["tend", "healthcheck"]
ENTRYPOINT ["tend"]
CMD ["serve"]
