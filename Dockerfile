# One image for every Mosaic Python service (subgraphs and router); the command picks one.

# The router's playground assets (GraphiQL and React from npm, what `make playground` builds),
# so `docker build` on a clean clone gives an image whose playground works without a CDN.
FROM node:20-slim AS playground
WORKDIR /build
COPY router/server/playground/package.json router/server/playground/package-lock.json \
     router/server/playground/build.sh ./
RUN sh build.sh npm assets

FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MOSAIC_HOST=0.0.0.0 \
    MOSAIC_DATA_DIR=/data

WORKDIR /app
# Runtime dependencies only (`make lock` writes it with the same pins as requirements.lock).
COPY requirements.runtime.lock ./
RUN pip install -r requirements.runtime.lock

COPY pyproject.toml README.md supergraph.yaml ./
COPY db ./db
COPY mosaic ./mosaic
COPY router ./router
# (No .gitignore in the image, so the wheel installed below carries these built files too.)
COPY --from=playground /build/assets ./router/server/playground/assets
COPY subgraphs ./subgraphs
# The subgraph SDLs and the composed supergraph (`mosaic compose`, `mosaic router`), and the
# compose file's supergraph config (docker/supergraph.yaml, routing URLs at service names).
COPY schema ./schema
COPY docker/supergraph.yaml ./docker/supergraph.yaml
RUN pip install --no-deps . && mkdir -p /data && useradd --system --home /app mosaic \
    && chown mosaic /data
USER mosaic

# Default: the users subgraph (`docker run mosaic`); docker-compose.yml gives every service its
# own command. Migrations run in a prestart step, never at import time.
ENV MOSAIC_SUBGRAPH=users PORT=4001
EXPOSE 4001
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/health', timeout=2)"
CMD ["sh", "-c", "mosaic db upgrade \"$MOSAIC_SUBGRAPH\" && exec uvicorn \"subgraphs.$MOSAIC_SUBGRAPH.app:app\" --host 0.0.0.0 --port \"$PORT\" --ws websockets-sansio --no-access-log"]
