"""DataLoader helpers: one `SELECT ... WHERE key IN (...)` per batch, results in key order."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, TypeVar, cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute
from strawberry.dataloader import DataLoader

ModelT = TypeVar("ModelT")


def rows_by_key(
    sessions: async_sessionmaker[AsyncSession],
    model: type[ModelT],
    key: InstrumentedAttribute[Any] | None = None,
) -> DataLoader[Any, ModelT | None]:
    """A loader of `model` rows by a unique column (the primary key `id` by default).

    Each batch opens its own short session: resolvers run concurrently and an AsyncSession
    must not be shared between concurrent tasks.
    """
    column: InstrumentedAttribute[Any] = key if key is not None else cast(Any, model).id

    async def load(keys: Sequence[Any]) -> list[ModelT | None]:
        async with sessions() as session:
            rows = (await session.scalars(select(model).where(column.in_(keys)))).all()
        found = {getattr(row, column.key): row for row in rows}
        return [found.get(k) for k in keys]

    return DataLoader(load_fn=load)


def rows_grouped_by(
    sessions: async_sessionmaker[AsyncSession],
    model: type[ModelT],
    column: InstrumentedAttribute[Any],
    *order_by: InstrumentedAttribute[Any],
) -> DataLoader[str, list[ModelT]]:
    """Rows of `model` whose `column` is each key (one-to-many), in `order_by` order."""

    async def load(keys: Sequence[str]) -> list[list[ModelT]]:
        async with sessions() as session:
            rows = await session.scalars(select(model).where(column.in_(keys)).order_by(*order_by))
            grouped: dict[str, list[ModelT]] = defaultdict(list)
            for row in rows:
                grouped[getattr(row, column.key)].append(row)
        return [grouped.get(key, []) for key in keys]

    return DataLoader(load_fn=load)
