# cqc-monitor: the worker image.
#
#   docker build -t cqc-monitor .                                    # or: make image
#   docker build --build-arg EXTRAS=postgres,apprise -t cqc-monitor .  # with the chat sinks
#   docker run --rm -v "$PWD/config:/config:ro" -v cqc-data:/data --env-file .env \
#       -p 9108:9108 cqc-monitor                                 # `run` is the default command
#   docker run --rm cqc-monitor config check                    # any other cqc-monitor command
#
# Configuration is read from /config/monitor.toml (MONITOR_CONFIG). The worker runs in "/", so
# the default database URL sqlite:///data/monitor.db is /data: mount a named volume there
# (-v cqc-data:/data), or the database goes with the container. A [database] url in the
# config, or MONITOR_DATABASE_URL (docker-compose.yml: PostgreSQL), points elsewhere; the
# image declares no VOLUME, so such a worker gets no stray anonymous volume.
FROM python:3.11-slim

# Extras of the package, each set with its lock file in requirements/ (`make lock`):
# "postgres" (PostgreSQL's driver; docker-compose.yml uses it) or "postgres,apprise" (the
# chat sinks too).
ARG EXTRAS="postgres"

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MONITOR_CONFIG=/config/monitor.toml

# tini as PID 1: forwards SIGTERM to the worker (for its clean shutdown) and reaps zombies.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/*

# The dependencies exactly as locked, every file checked against its hash; first, so this
# layer is rebuilt only when a lock changes. The lock holds the build backend too.
COPY requirements/ /tmp/requirements/
RUN set -e; \
    lock="/tmp/requirements/$(echo "$EXTRAS" | tr , -).txt"; \
    if [ ! -f "$lock" ]; then \
        echo "EXTRAS=$EXTRAS has no lock file (requirements/*.txt): use postgres or postgres,apprise" >&2; \
        exit 1; \
    fi; \
    python -m pip install --no-cache-dir --require-hashes -r "$lock"; \
    rm -rf /tmp/requirements

# The project itself, not editable and without its dependencies, so nothing unpinned comes in;
# built with the locked setuptools. `pip check` fails the build when the lock misses a
# dependency pyproject.toml asks for. The migrations are package data (monitor/store/migrations).
COPY pyproject.toml README.md /tmp/src/
COPY monitor/ /tmp/src/monitor/
RUN python -m pip install --no-cache-dir --no-deps --no-build-isolation /tmp/src \
    && python -m pip check \
    && rm -rf /tmp/src

# A fixed numeric id, so orchestrators can verify "runAsNonRoot" and volumes can be chowned.
# A named volume mounted at /data starts with this directory's owner, 10001.
RUN groupadd --system --gid 10001 monitor \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin monitor \
    && mkdir -p /data /config \
    && chown 10001:10001 /data
USER 10001:10001
# Relative paths of the config (sqlite:///data/monitor.db) resolve against "/", i.e. /data.
WORKDIR /

# /healthz, /readyz and /metrics ([server] port; 9108 unless the config says otherwise).
EXPOSE 9108
# Asks /healthz on the configured [server] port; exit 1 with the reason (docker inspect shows it).
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["cqc-monitor", "healthcheck"]

ENTRYPOINT ["/usr/bin/tini", "--", "cqc-monitor"]
CMD ["run"]
