"""Forced interleavings for race tests: a racer with no patience for locks, sent between a
write's checks and its first write.

If the write holds its locks from its first read (PostgreSQL row locks, SQLite's write lock),
the racer has to wait and fails at once; without them it slips in and breaks the invariant.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from sqlalchemy import Delete, Insert, Update, event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from db.engine import session_factory

Sessions = async_sessionmaker[AsyncSession]


@contextlib.asynccontextmanager
async def impatient_sessions(database_url: str) -> AsyncIterator[Sessions]:
    """Sessions on an engine whose statements never wait for a lock: one that would have to
    wait fails at once (SQLite: no busy timeout; PostgreSQL: a 1 ms lock_timeout)."""
    if database_url.startswith("sqlite"):
        options: dict[str, Any] = {"connect_args": {"timeout": 0}}
    else:
        options = {"connect_args": {"server_settings": {"lock_timeout": "1"}}}
    engine = create_async_engine(database_url, **options)
    if database_url.startswith("sqlite"):
        event.listen(engine.sync_engine, "connect", _foreign_keys_on)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


def _foreign_keys_on(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def run_before_first_write(session: AsyncSession, racer: Callable[[], Awaitable[None]]) -> None:
    """Run `racer` once, when the session has made its checks but sent no write yet: before
    its first flush, INSERT/UPDATE/DELETE statement or commit, whichever comes first."""
    ran = False
    real_flush, real_execute, real_commit = session.flush, session.execute, session.commit

    async def race_once() -> None:
        nonlocal ran
        if not ran:
            ran = True
            await racer()

    async def flush(*args: Any, **kwargs: Any) -> None:
        if session.new or session.dirty or session.deleted:
            await race_once()
        await real_flush(*args, **kwargs)

    async def execute(statement: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(statement, Insert | Update | Delete):
            await race_once()
        return await real_execute(statement, *args, **kwargs)

    async def commit() -> None:
        await race_once()
        await real_commit()

    session.flush = flush  # type: ignore[method-assign]
    session.execute = execute  # type: ignore[method-assign]
    session.commit = commit  # type: ignore[method-assign]
