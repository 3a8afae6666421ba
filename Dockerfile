# One Dockerfile for every lienthong image: `docker build --build-arg SERVICE=documents -t lienthong/documents .`
# (`make images` builds identifiers, documents, signing, email, reporting, and `cli` for operators' pods).
# Build stage: uv installs the service's workspace package and its locked dependencies (uv.lock) as wheels
# into /app/.venv. Final stage: the slim Python image, that venv, a non-root user; no uv, no compiler, no source.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ARG SERVICE
RUN test -n "$SERVICE" || { echo "build with --build-arg SERVICE=<identifiers|documents|signing|email|reporting|cli>"; exit 1; }
RUN pip install --no-cache-dir 'uv==0.13.*'
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src
COPY pyproject.toml uv.lock ./
COPY libs ./libs
COPY services ./services
# --no-editable: the workspace packages are built into the venv, so /src is not needed at run time.
# `cli` is the operators' image: every package (the CLI, audit verify, migrate and rebuild of each service).
RUN if [ "$SERVICE" = cli ]; then uv sync --frozen --no-dev --no-editable --all-packages; \
    else uv sync --frozen --no-dev --no-editable --package "lienthong-${SERVICE}"; fi

FROM ${PYTHON_IMAGE}
ARG SERVICE
LABEL org.opencontainers.image.title="lienthong-${SERVICE}" \
      org.opencontainers.image.source="https://github.com/lienthong/lienthong" \
      org.opencontainers.image.licenses="Apache-2.0"
# The operators' image (cli) carries the PostgreSQL client for pg_dump / pg_restore (docs/operations.md "Backup").
RUN if [ "$SERVICE" = cli ]; then apt-get update && apt-get install -y --no-install-recommends postgresql-client-15 \
    && rm -rf /var/lib/apt/lists/*; fi
RUN groupadd --system --gid 10001 lienthong \
 && useradd --system --uid 10001 --gid lienthong --home-dir /var/lib/lienthong --shell /usr/sbin/nologin lienthong \
 && mkdir -p /var/lib/lienthong && chown lienthong:lienthong /var/lib/lienthong
COPY --from=build /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    LIENTHONG_DATA_DIR=/var/lib/lienthong \
    LIENTHONG_SERVICE=${SERVICE}
USER 10001:10001
WORKDIR /var/lib/lienthong
# The chart passes the command (`python -m lienthong.<service>.main`, or `.migrate` in the migration Job).
# The default runs the service (`cli`: the lienthong command's help).
CMD ["sh", "-c", "if [ \"$LIENTHONG_SERVICE\" = cli ]; then exec lienthong --help; else exec python -m lienthong.$LIENTHONG_SERVICE.main; fi"]
