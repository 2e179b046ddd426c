"""Relay connections: `first/after`, `edges { cursor node }`, `pageInfo`.

Cursors are opaque (base64 of a versioned key) and stable: they encode the sort key of the
row (a time-ordered id), not an offset, so rows inserted meanwhile never shift a page.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import strawberry
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from subgraphs.common.errors import BadUserInput

NodeT = TypeVar("NodeT")
RowT = TypeVar("RowT")

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
_CURSOR_PREFIX = "v1:"


# Every subgraph defines the same PageInfo: shareable, so composition accepts it.
@strawberry.federation.type(shareable=True)
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


@strawberry.type
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    page_info: PageInfo


def encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode((_CURSOR_PREFIX + key).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise BadUserInput("Invalid cursor", argument="after") from error
    if not text.startswith(_CURSOR_PREFIX):
        raise BadUserInput("Invalid cursor", argument="after")
    return text[len(_CURSOR_PREFIX) :]


def check_first(first: int | None, maximum: int = MAX_PAGE_SIZE) -> int:
    if first is None:
        return DEFAULT_PAGE_SIZE
    if first < 0 or first > maximum:
        raise BadUserInput(f"first must be between 0 and {maximum}", argument="first")
    return first


@dataclass(frozen=True)
class Page(Generic[RowT]):
    rows: Sequence[RowT]
    cursors: Sequence[str]
    has_next_page: bool
    has_previous_page: bool


async def paginate(
    session: AsyncSession,
    statement: Select[Any],
    key: InstrumentedAttribute[Any],
    *,
    first: int | None,
    after: str | None,
    maximum: int = MAX_PAGE_SIZE,
) -> Page[Any]:
    """One keyset query: rows of `statement` ordered by the unique `key`, after the cursor."""
    limit = check_first(first, maximum)
    if after is not None:
        statement = statement.where(key > decode_cursor(after))
    rows = list((await session.scalars(statement.order_by(key).limit(limit + 1))).all())
    has_next = len(rows) > limit
    rows = rows[:limit]
    cursors = [encode_cursor(str(getattr(row, key.key))) for row in rows]
    return Page(
        rows=rows, cursors=cursors, has_next_page=has_next, has_previous_page=after is not None
    )


def to_connection(page: Page[RowT], node: Callable[[RowT], NodeT]) -> Connection[NodeT]:
    edges = [Edge(cursor=c, node=node(row)) for row, c in zip(page.rows, page.cursors, strict=True)]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            start_cursor=page.cursors[0] if page.cursors else None,
            end_cursor=page.cursors[-1] if page.cursors else None,
        ),
    )
