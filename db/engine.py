"""Async engines and session factories from a URL (`sqlite+aiosqlite://`, `postgresql+asyncpg://`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine

SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")


def database_url_for(template: str, subgraph: str) -> str:
    """One database per subgraph: `{subgraph}` in the template is replaced by its name."""
    return template.replace("{subgraph}", subgraph)


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.drivername not in SUPPORTED_DRIVERS:
        raise ValueError(
            f"unsupported database URL driver {parsed.drivername!r}; "
            f"use one of {', '.join(SUPPORTED_DRIVERS)}"
        )
    options: dict[str, Any] = {"echo": echo}
    if parsed.drivername.startswith("sqlite"):
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        options["connect_args"] = {"timeout": 30}
    else:
        options["pool_pre_ping"] = True
    engine = _create_async_engine(url, **options)
    if parsed.drivername.startswith("sqlite"):
        event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Foreign keys are off by default in SQLite; WAL lets readers run beside one writer.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


async def begin_write(session: AsyncSession) -> bool:
    """On SQLite, make sure the session's transaction holds the write lock; True on SQLite.

    pysqlite opens its transaction only at the first INSERT/UPDATE/DELETE, so reads before it
    hold no lock and see whatever another connection has committed meanwhile; `BEGIN
    IMMEDIATE` takes the database's write lock before the first read instead. Call it before
    the transaction's first read. On other databases it does nothing and returns False: lock
    rows there instead (subgraphs/common/writes.py).
    """
    connection = await session.connection()
    if connection.dialect.name != "sqlite":
        return False
    raw = await connection.get_raw_connection()
    # A transaction already open has written (pysqlite opens one only for a write), so it
    # holds the write lock already; otherwise open one that takes it now.
    if not raw.driver_connection.in_transaction:  # type: ignore[union-attr]
        await connection.exec_driver_sql("BEGIN IMMEDIATE")
    return True


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@dataclass(frozen=True)
class Database:
    """An engine and its session factory: what a subgraph process holds for its lifetime."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    @classmethod
    def from_url(cls, url: str, *, echo: bool = False) -> Database:
        engine = create_engine(url, echo=echo)
        return cls(engine=engine, sessions=session_factory(engine))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside a write transaction: committed on success, rolled back on error.
        On SQLite it holds the write lock from its first read (`begin_write`)."""
        async with self.sessions() as session, session.begin():
            await begin_write(session)
            yield session

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.exec_driver_sql("SELECT 1")

    async def dispose(self) -> None:
        await self.engine.dispose()
