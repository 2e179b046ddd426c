# One image for every Mosaic Python service (subgraphs and router); the command picks one.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MOSAIC_HOST=0.0.0.0 \
    MOSAIC_DATA_DIR=/data

WORKDIR /app
COPY requirements.lock ./
RUN pip install -r requirements.lock

COPY pyproject.toml README.md ./
COPY db ./db
COPY mosaic ./mosaic
COPY router ./router
COPY subgraphs ./subgraphs
RUN pip install --no-deps . && mkdir -p /data && useradd --system --home /app mosaic \
    && chown mosaic /data
USER mosaic

# Default: the users subgraph. Migrations run in a prestart step, never at import time.
ENV MOSAIC_SUBGRAPH=users PORT=4001
EXPOSE 4001
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/health', timeout=2)"
CMD ["sh", "-c", "mosaic db upgrade \"$MOSAIC_SUBGRAPH\" && exec uvicorn \"subgraphs.$MOSAIC_SUBGRAPH.app:app\" --host 0.0.0.0 --port \"$PORT\" --ws websockets-sansio --no-access-log"]
