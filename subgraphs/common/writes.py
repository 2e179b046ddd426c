"""Write transactions that hold their locks before their first read, on both backends.

A write that decides on what it reads (stock left, a token not yet used, a slug still free)
must read under a lock, or a concurrent writer can change it between the check and the write.

- PostgreSQL (READ COMMITTED): lock the rows the decision rests on (`SELECT ... FOR UPDATE`,
  or `FOR SHARE` when only their existence matters), or make the write itself conditional
  (`UPDATE ... WHERE stock >= :q`). `lock_key` serialises writers on something that is not
  one row (a token family, the category tree) with a transaction-scoped advisory lock.
- SQLite ignores `FOR UPDATE`, and pysqlite opens its transaction only at the first
  INSERT/UPDATE/DELETE, so the reads before it hold no lock and see whatever another
  connection (or process) has committed meanwhile. `begin_write` opens the transaction with
  `BEGIN IMMEDIATE` instead: it takes the database's write lock before the first read, so
  SQLite's writers run one at a time, each seeing everything committed before it.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


async def begin_write(session: AsyncSession) -> bool:
    """On SQLite, make sure the session's transaction holds the write lock; True on SQLite.

    Call it before the transaction's first read. On other databases it does nothing and
    returns False: take row locks there instead.
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


async def lock_key(session: AsyncSession, namespace: str, key: str) -> None:
    """Hold a lock on (namespace, key) until the transaction ends.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: the database's write lock
    (`begin_write`), which covers every key at once.
    """
    if await begin_write(session):
        return
    digest = hashlib.blake2b(f"{namespace}\0{key}".encode(), digest_size=8).digest()
    number = int.from_bytes(digest, "big", signed=True)
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": number})


@asynccontextmanager
async def write_session(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session in a write transaction (write lock held from the start on SQLite): committed
    on success, rolled back on error."""
    async with sessions() as session, session.begin():
        await begin_write(session)
        yield session
