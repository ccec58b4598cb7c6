# cqc-monitor: the worker image.
#
#   docker build -t cqc-monitor .
#   docker build --build-arg EXTRAS=postgres,apprise -t cqc-monitor .  # with the chat sinks
#   docker run --rm -v "$PWD/config:/config:ro" -v cqc-data:/data --env-file .env \
#       -p 9108:9108 cqc-monitor                                 # `run` is the default command
#   docker run --rm cqc-monitor config check                    # any other cqc-monitor command
#
# Configuration is read from /config/monitor.toml (MONITOR_CONFIG). The worker runs in "/", so
# the default database URL sqlite:///data/monitor.db is the /data volume; a [database] url in
# the config, or MONITOR_DATABASE_URL (docker-compose.yml: PostgreSQL), points elsewhere.
FROM python:3.11-slim

# Extras of the package: PostgreSQL's driver always (docker-compose.yml uses it); e.g.
# "postgres,apprise" for the chat sinks too.
ARG EXTRAS="postgres"

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MONITOR_CONFIG=/config/monitor.toml

# tini as PID 1: forwards SIGTERM to the worker (for its clean shutdown) and reaps zombies.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY monitor/ monitor/
# The same install as `make install`, without the dev tools: the dependencies come from
# pyproject.toml; editable. The migrations are package data (monitor/store/migrations).
RUN python -m pip install --no-cache-dir -e ".${EXTRAS:+[$EXTRAS]}" \
    && python -m compileall -q monitor

# A fixed numeric id, so orchestrators can verify "runAsNonRoot" and volumes can be chowned.
RUN groupadd --system --gid 10001 monitor \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin monitor \
    && mkdir -p /data /config \
    && chown 10001:10001 /data
USER 10001:10001
VOLUME ["/data"]
# Relative paths of the config (sqlite:///data/monitor.db) resolve against "/", i.e. the volume.
WORKDIR /

# /healthz, /readyz and /metrics ([server] port).
EXPOSE 9108
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9108/healthz', timeout=4)"]

ENTRYPOINT ["/usr/bin/tini", "--", "cqc-monitor"]
CMD ["run"]
