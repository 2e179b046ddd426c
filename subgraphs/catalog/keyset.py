"""Relay pages over any sort column: keyset on (column, id), ascending or descending.

common's `paginate` pages by one unique key; product listings sort by name, price, stock or
creation time, so the cursor here carries the ordering, the row's sort value and its id. A
cursor from one ordering is rejected by another instead of silently skipping rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import DateTime, Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from subgraphs.common.errors import BadUserInput
from subgraphs.common.pagination import Page, check_first, decode_cursor, encode_cursor


def _encode_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _decode_value(column: InstrumentedAttribute[Any], value: Any) -> Any:
    if isinstance(column.type, DateTime):
        if not isinstance(value, str):
            raise ValueError("not a timestamp")
        return datetime.fromisoformat(value)
    return value


def sort_cursor(ordering: str, value: Any, row_id: str) -> str:
    return encode_cursor(orjson.dumps([ordering, _encode_value(value), row_id]).decode())


def _after_condition(
    cursor: str,
    ordering: str,
    column: InstrumentedAttribute[Any],
    id_column: InstrumentedAttribute[Any],
    descending: bool,
) -> Any:
    try:
        name, raw, row_id = orjson.loads(decode_cursor(cursor))
        value = _decode_value(column, raw)
    except (ValueError, TypeError, orjson.JSONDecodeError) as error:
        raise BadUserInput("Invalid cursor", argument="after") from error
    if name != ordering:
        raise BadUserInput(
            f"the cursor belongs to ordering {name}, not {ordering}", argument="after"
        )
    if descending:
        return or_(column < value, and_(column == value, id_column < row_id))
    return or_(column > value, and_(column == value, id_column > row_id))


async def paginate_sorted(
    session: AsyncSession,
    statement: Select[Any],
    *,
    column: InstrumentedAttribute[Any],
    id_column: InstrumentedAttribute[Any],
    descending: bool,
    ordering: str,
    first: int | None,
    after: str | None,
) -> Page[Any]:
    """One query: rows of `statement` in (column, id) order after the cursor, plus one."""
    limit = check_first(first)
    if after is not None:
        statement = statement.where(
            _after_condition(after, ordering, column, id_column, descending)
        )
    order = (column.desc(), id_column.desc()) if descending else (column.asc(), id_column.asc())
    rows = list((await session.scalars(statement.order_by(*order).limit(limit + 1))).all())
    has_next = len(rows) > limit
    rows = rows[:limit]
    cursors = [
        sort_cursor(ordering, getattr(row, column.key), getattr(row, id_column.key)) for row in rows
    ]
    return Page(
        rows=rows, cursors=cursors, has_next_page=has_next, has_previous_page=after is not None
    )
