"""Session-wide real servers: one throwaway PostgreSQL and one Redis per test process, and
`make dev`'s whole stack (`mosaic dev`) for the end-to-end tests that need it."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator

import pytest
import redis.asyncio as aioredis

from tests.utils.dev_stack import DevStack, dev_stack_running
from tests.utils.servers import PostgresServer, RedisServer, postgres_server, redis_server

_database_names = itertools.count()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    with postgres_server() as server:
        yield server


@pytest.fixture(scope="session")
def dev_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    """`mosaic dev` on free ports and a fresh data directory (started once per test process)."""
    with dev_stack_running(tmp_path_factory.mktemp("dev-stack")) as stack:
        yield stack


@pytest.fixture(scope="session")
def redis() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


@pytest.fixture
async def redis_url(redis: RedisServer) -> AsyncIterator[str]:
    """The session's Redis, emptied for one test (streams, consumer groups, dead letters)."""
    client = aioredis.Redis.from_url(redis.url())
    await client.flushall()
    await client.aclose()
    yield redis.url()


@pytest.fixture
def postgres_url(postgres: PostgresServer) -> str:
    """A fresh, empty PostgreSQL database for one test (asyncpg URL)."""
    return postgres.create_database(f"test_{next(_database_names)}")
