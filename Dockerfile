# syntax=docker/dockerfile:1.7
# 困境儿童关爱服务 — API, worker and migration image (one image, three entry points).
#
#   docker build -t children-care:$(git rev-parse --short HEAD) .
#
# Entry points (exec form, so SIGTERM reaches the Python process directly):
#   python -m app               API (uvicorn; HOST/PORT from the environment)   [default]
#   python -m app.worker        background jobs
#   python -m app.manage migrate   alembic upgrade head, then exit
#
# Pin the base by digest in CI (e.g. python:3.11.14-slim-bookworm@sha256:...) and let Renovate
# bump it; both stages must use the same base so the venv's interpreter path matches.

############################ builder: resolve the lock into /opt/venv ############################
FROM python:3.11.14-slim-bookworm AS builder

# uv version matches the Makefile and the lock file's producer.
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/venv
RUN pip install --no-cache-dir uv==0.13.8

WORKDIR /src
COPY pyproject.toml uv.lock ./
# --frozen: install exactly the lock, fail if pyproject and lock disagree.
# --no-build: wheels only, so no compiler is needed (and none ends up in the image).
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project --no-build --python /usr/local/bin/python3.11

# Application code, byte-compiled here so the read-only runtime never needs to write .pyc files.
COPY alembic.ini ./
COPY app ./app
COPY migrations ./migrations
COPY openapi ./openapi
RUN /opt/venv/bin/python -m compileall -q -j 0 app migrations

############################ runtime: venv + code, nothing else ############################
FROM python:3.11.14-slim-bookworm AS runtime

ARG APP_UID=10001
ARG APP_GID=10001
# The commit the image is built from: app_build_info{commit} (docker build --build-arg APP_COMMIT=...).
ARG APP_COMMIT=unknown
RUN groupadd --system --gid "${APP_GID}" app \
 && useradd --system --uid "${APP_UID}" --gid app --home-dir /tmp --no-create-home \
      --shell /usr/sbin/nologin app

# HOME and TMPDIR point at /tmp: the only writable path (an emptyDir in Kubernetes).
ENV PATH=/opt/venv/bin:$PATH \
    VIRTUAL_ENV=/opt/venv \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONFAULTHANDLER=1 \
    HOME=/tmp \
    TMPDIR=/tmp \
    APP_ENV=production \
    APP_COMMIT=${APP_COMMIT} \
    HOST=0.0.0.0 \
    PORT=8000

# Root-owned and not writable by the app user: the code cannot be modified at run time.
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
COPY --from=builder /src/alembic.ini ./
COPY --from=builder /src/app ./app
COPY --from=builder /src/migrations ./migrations
COPY --from=builder /src/openapi ./openapi

USER ${APP_UID}:${APP_GID}
EXPOSE 8000

# For plain docker/compose; Kubernetes ignores it and uses the probes in k8s/.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=4)"]

CMD ["python", "-m", "app"]
