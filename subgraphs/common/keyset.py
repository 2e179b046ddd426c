"""Keyset (seek) pagination: stable cursors over any ordering that ends with a unique id.

`pagination.paginate` pages by one unique column; lists that sort by due date, priority,
price, title... use an `Ordering`, whose cursor holds the ordering's name and the sort-key
values of its row, so a cursor from another ordering is refused instead of skipping rows.
Inserting or deleting rows never shifts a page the way an offset would. The "after" condition
is written as an OR-chain (a > x) OR (a = x AND b > y) ..., which allows mixed directions and
works the same on SQLite and PostgreSQL.

Datetimes travel as aware UTC: a naive value (SQLite gives back `DateTime(timezone=True)`
columns without their zone) is taken as UTC, and a cursor's value is bound as UTC, which both
an aware column type and SQLite's naive UTC text compare correctly.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Generic, TypeVar

import orjson
from sqlalchemy import ColumnElement, Select, and_, false, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, QueryableAttribute
from sqlalchemy.sql.elements import UnaryExpression

from db.base import as_utc
from subgraphs.common.errors import BadUserInput
from subgraphs.common.pagination import MAX_PAGE_SIZE, Page, check_first

T = TypeVar("T")


class CursorError(ValueError):
    """A cursor that is not one of ours, or was made for another ordering."""


@dataclass(frozen=True)
class SortKey(Generic[T]):
    """One sort key: the SQL expression, how to read it from a loaded row, its direction."""

    expression: ColumnElement[Any] | QueryableAttribute[Any]
    value_of: Callable[[T], Any]
    descending: bool = False
    kind: type = str  # how the value travels in a cursor: str, int, date or datetime

    def order_by(self) -> UnaryExpression[Any]:
        return self.expression.desc() if self.descending else self.expression.asc()

    def after(self, value: Any) -> ColumnElement[bool]:
        return self.expression < value if self.descending else self.expression > value


@dataclass(frozen=True)
class Ordering(Generic[T]):
    """A named total order: the keys, the last of which must be unique (the id)."""

    name: str
    keys: tuple[SortKey[T], ...]

    def order_by(self) -> list[UnaryExpression[Any]]:
        return [key.order_by() for key in self.keys]

    def cursor(self, row: T) -> str:
        values = [_encode_value(key.value_of(row)) for key in self.keys]
        raw = orjson.dumps([self.name, *values])
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def decode(self, cursor: str) -> list[Any]:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            data = orjson.loads(raw)
        except (binascii.Error, ValueError) as error:
            raise CursorError("malformed cursor") from error
        if not isinstance(data, list) or len(data) != len(self.keys) + 1:
            raise CursorError("malformed cursor")
        if data[0] != self.name:
            raise CursorError("the cursor was made for another ordering")
        try:
            return [_decode_value(key.kind, v) for key, v in zip(self.keys, data[1:], strict=True)]
        except (TypeError, ValueError) as error:
            raise CursorError("malformed cursor") from error

    def after(self, cursor: str) -> ColumnElement[bool]:
        """Rows strictly after the cursor's row in this order."""
        values = self.decode(cursor)
        clauses: list[ColumnElement[bool]] = []
        for i, key in enumerate(self.keys):
            equal_prefix = [
                k.expression == v for k, v in zip(self.keys[:i], values[:i], strict=True)
            ]
            clauses.append(and_(*equal_prefix, key.after(values[i])))
        return or_(false(), *clauses)


def after_conditions(ordering: Ordering[Any], after: str | None) -> list[ColumnElement[bool]]:
    """WHERE conditions for the rows after `after` (none without); a bad cursor: BAD_USER_INPUT."""
    if after is None:
        return []
    try:
        return [ordering.after(after)]
    except CursorError as error:
        raise BadUserInput(f"Invalid cursor: {error}", argument="after") from error


def column_ordering(
    name: str,
    column: InstrumentedAttribute[Any],
    id_column: InstrumentedAttribute[Any],
    *,
    descending: bool = False,
) -> Ordering[Any]:
    """The ordering by one mapped column, ties broken by the (unique, string) id column."""

    def attribute(key: str) -> Callable[[Any], Any]:
        return lambda row: getattr(row, key)

    kind = column.type.python_type
    if kind not in (str, int, date, datetime):
        raise TypeError(f"cannot keyset-paginate on {column.key} ({kind.__name__})")
    return Ordering(
        name=name,
        keys=(
            SortKey(column, attribute(column.key), descending, kind),
            SortKey(id_column, attribute(id_column.key), descending, str),
        ),
    )


async def paginate_ordered(
    session: AsyncSession,
    statement: Select[Any],
    ordering: Ordering[Any],
    *,
    first: int | None,
    after: str | None,
    maximum: int = MAX_PAGE_SIZE,
) -> Page[Any]:
    """One query: rows of `statement` in `ordering` after the cursor, plus one to see more."""
    size = check_first(first, maximum)
    statement = statement.where(*after_conditions(ordering, after))
    statement = statement.order_by(*ordering.order_by()).limit(size + 1)
    rows = (await session.scalars(statement)).all()
    return make_page(rows, size, ordering, after)


def make_page(rows: Sequence[T], size: int, ordering: Ordering[T], after: str | None) -> Page[T]:
    """Build a page from up to size + 1 fetched rows (the extra row only says "there is more")."""
    items = list(rows[:size])
    return Page(
        rows=items,
        cursors=[ordering.cursor(row) for row in items],
        has_next_page=len(rows) > size,
        has_previous_page=after is not None,
    )


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return ["dt", as_utc(value).isoformat()]
    if isinstance(value, date):
        return ["d", value.isoformat()]
    return value


def _decode_value(kind: type, value: Any) -> Any:
    if kind is datetime:
        if not (isinstance(value, list) and value[0] == "dt"):
            raise ValueError("expected a datetime")
        parsed = datetime.fromisoformat(value[1])
        if parsed.tzinfo is None:
            raise ValueError("expected an aware datetime")
        return parsed.astimezone(UTC)
    if kind is date:
        if not (isinstance(value, list) and value[0] == "d"):
            raise ValueError("expected a date")
        return date.fromisoformat(value[1])
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ValueError(f"expected {kind.__name__}")
    return value
