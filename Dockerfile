# One Dockerfile for every lienthong image; `make images` builds them all, offline:
#   docker build -f Dockerfile --build-arg SERVICE=documents -t lienthong/documents var/images/context
# The base is made from Debian's packages (images/base.sh: debootstrap bookworm, Python 3.11, docker import),
# never pulled from a registry; the context (images/context.sh) holds the wheels of every locked dependency
# and of the workspace's packages, and the uv binary. Build stage: uv installs the service's requirements
# from those wheels alone (--offline --no-index) into /app/.venv. Final stage: the base, that venv, a
# non-root user; no uv, no wheels, no source. Run with a read-only root filesystem: the service writes only
# to /var/lib/lienthong (a volume) and /tmp (a tmpfs).
ARG BASE_IMAGE=lienthong/base:bookworm

FROM ${BASE_IMAGE} AS build
ARG SERVICE
RUN test -n "$SERVICE" || { echo "build with --build-arg SERVICE=<identifiers|documents|signing|email|reporting|console|cli>"; exit 1; }
COPY uv /usr/local/bin/uv
COPY wheels /wheels
COPY requirements/${SERVICE}.txt /requirements.txt
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never UV_NO_CACHE=1
RUN uv venv --quiet --python /usr/bin/python3 /app/.venv \
 && VIRTUAL_ENV=/app/.venv uv pip install --quiet --offline --no-index --find-links /wheels --no-deps -r /requirements.txt

FROM ${BASE_IMAGE}
ARG SERVICE
# Debian packages the image adds (images/debs.sh): PostgreSQL's client for the operators' image (pg_dump /
# pg_restore, docs/operations.md "Backup"); none for the services.
COPY debs-${SERVICE} /debs
RUN if ls /debs/*.deb >/dev/null 2>&1; then dpkg -i /debs/*.deb >/dev/null; fi; rm -rf /debs
LABEL org.opencontainers.image.title="lienthong-${SERVICE}" \
      org.opencontainers.image.source="https://github.com/lienthong/lienthong" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 lienthong \
 && useradd --system --uid 10001 --gid lienthong --home-dir /var/lib/lienthong --shell /usr/sbin/nologin lienthong \
 && mkdir -p /var/lib/lienthong && chown lienthong:lienthong /var/lib/lienthong
COPY --from=build /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    LIENTHONG_DATA_DIR=/var/lib/lienthong \
    LIENTHONG_HEALTH_ADDR=0.0.0.0:8081 \
    LIENTHONG_SERVICE=${SERVICE}
# 8081: the gRPC health service without TLS, for probes (LIENTHONG_HEALTH_ADDR).
EXPOSE 8081
VOLUME ["/var/lib/lienthong"]
USER 10001:10001
WORKDIR /var/lib/lienthong
# tini reaps children (signing's worker processes) and passes SIGTERM on, so the service stops gracefully.
ENTRYPOINT ["/usr/bin/tini", "--"]
# The chart passes the command (`python -m lienthong.<service>.main`, or `.migrate` in the migration Job).
# The default runs the service (`cli`: the lienthong command's help).
CMD ["sh", "-c", "if [ \"$LIENTHONG_SERVICE\" = cli ]; then exec lienthong --help; else exec python -m lienthong.$LIENTHONG_SERVICE.main; fi"]
