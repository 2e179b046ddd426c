"""Search backends on real servers: SQLite, PostgreSQL, and Elasticsearch when
MOSAIC_ELASTICSEARCH_URL names one (nothing stands in for it otherwise)."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from subgraphs.common.settings import Settings
from subgraphs.search.backends import SearchBackend
from subgraphs.search.backends.postgres import PostgresBackend
from subgraphs.search.backends.sqlite import SQLiteBackend

_indexes = itertools.count()


def elasticsearch_url() -> str | None:
    return Settings().elasticsearch_url


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param(
            "elasticsearch",
            marks=pytest.mark.skipif(
                elasticsearch_url() is None, reason="MOSAIC_ELASTICSEARCH_URL is not set"
            ),
        ),
    ]
)
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SearchBackend]:
    """A fresh, empty index of each backend, set up as a deployment sets it up."""
    found: SearchBackend
    elastic = None
    if request.param == "sqlite":
        found = SQLiteBackend(f"sqlite+aiosqlite:///{tmp_path}/search.db")
    elif request.param == "postgres":
        found = PostgresBackend(str(request.getfixturevalue("postgres_url")))
    else:
        from subgraphs.search.backends.elastic import ElasticBackend

        url = elasticsearch_url()
        assert url is not None
        found = elastic = ElasticBackend(url, prefix=f"mosaic-test-{next(_indexes)}-", refresh=True)
    await found.setup()
    try:
        yield found
    finally:
        if elastic is not None:
            await elastic.drop()
        await found.close()
