"""Write transactions that hold their locks before their first read, on both backends.

A write that decides on what it reads (stock left, a token not yet used, a slug still free)
must read under a lock, or a concurrent writer can change it between the check and the write.

- PostgreSQL (READ COMMITTED): lock the rows the decision rests on (`SELECT ... FOR UPDATE`,
  or `FOR SHARE` when only their existence matters), or make the write itself conditional
  (`UPDATE ... WHERE stock >= :q`). `lock_key` serialises writers on something that is not
  one row (a token family, the category tree) with a transaction-scoped advisory lock.
- SQLite ignores `FOR UPDATE`, and pysqlite opens its transaction only at the first
  INSERT/UPDATE/DELETE, so the reads before it hold no lock and see whatever another
  connection (or process) has committed meanwhile. `db.engine.begin_write` (which
  `Database.transaction()` calls) opens the transaction with `BEGIN IMMEDIATE` instead: it
  takes the database's write lock before the first read, so SQLite's writers run one at a
  time, each seeing everything committed before it.
"""

from __future__ import annotations

import hashlib
from typing import Any, TypeVar

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import begin_write
from subgraphs.common.errors import NotFound

Row = TypeVar("Row")


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


async def lock_row(session: AsyncSession, model: type[Row], row_id: str, what: str) -> Row:
    """The row, locked FOR UPDATE (PostgreSQL) until the transaction ends and read afresh
    (never the session's cached copy); NOT_FOUND "no <what> with id ..." when it is gone."""
    statement: Any = (
        select(model)
        .where(model.id == row_id)  # type: ignore[attr-defined]
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    row: Row | None = await session.scalar(statement)
    if row is None:
        raise NotFound(f"no {what} with id {row_id!r}")
    return row
