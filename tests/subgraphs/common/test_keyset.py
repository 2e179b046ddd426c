"""Keyset orderings over several columns, on SQLite and PostgreSQL: pages, cursors, bad cursors."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import orjson
import pytest
from sqlalchemy import Date, DateTime, Integer, Numeric, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from db.engine import create_engine, session_factory
from subgraphs.common.errors import BadUserInput
from subgraphs.common.keyset import (
    CursorError,
    Ordering,
    SortKey,
    column_ordering,
    paginate_ordered,
)


class Base(DeclarativeBase):
    pass


class Thing(Base):
    __tablename__ = "keyset_things"

    id: Mapped[str] = mapped_column(String(8), primary_key=True)
    rank: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)
    # A plain zone-aware column, as catalog has: SQLite gives its values back naive (UTC).
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    weight: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=0)


BASE_TIME = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

# rank DESC, day ASC, at DESC, id ASC: two directions each way, every kind of value.
MIXED = Ordering[Thing](
    name="mixed",
    keys=(
        SortKey(Thing.rank, lambda t: t.rank, True, int),
        SortKey(Thing.day, lambda t: t.day, False, date),
        SortKey(Thing.at, lambda t: t.at, True, datetime),
        SortKey(Thing.id, lambda t: t.id, False, str),
    ),
)


def _things() -> list[Thing]:
    """24 rows with many ties on every column but the id (and microsecond-apart times)."""
    return [
        Thing(
            id=f"t{n:02d}",
            rank=n % 3,
            day=date(2026, 1, 1) + timedelta(days=n % 4),
            at=BASE_TIME + timedelta(microseconds=(n * 7) % 5),
        )
        for n in range(24)
    ]


def _micros(moment: datetime) -> int:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return (aware - BASE_TIME) // timedelta(microseconds=1)


def _mixed_key(t: Thing) -> tuple[Any, ...]:
    return (-t.rank, t.day, -_micros(t.at), t.id)


@pytest.fixture
async def session(database_url: str) -> AsyncIterator[AsyncSession]:
    engine = create_engine(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    async with session_factory(engine)() as session:
        session.add_all(_things())
        await session.commit()
        yield session
    await engine.dispose()


async def _walk(session: AsyncSession, ordering: Ordering[Thing], size: int) -> list[str]:
    """Page through all rows with `size` rows a page; checks the page flags on the way."""
    seen: list[str] = []
    after: str | None = None
    while True:
        page = await paginate_ordered(session, select(Thing), ordering, first=size, after=after)
        assert page.has_previous_page is (after is not None)
        assert len(page.rows) == len(page.cursors) <= size
        assert page.cursors == [ordering.cursor(row) for row in page.rows]  # stable
        seen += [row.id for row in page.rows]
        if not page.has_next_page:
            return seen
        after = page.cursors[-1]


async def test_mixed_directions_walk_every_row_once_in_order(session: AsyncSession) -> None:
    expected = [t.id for t in sorted(_things(), key=_mixed_key)]
    assert await _walk(session, MIXED, 5) == expected
    assert await _walk(session, MIXED, 1) == expected


async def test_rows_inserted_before_the_cursor_shift_nothing(session: AsyncSession) -> None:
    first = await paginate_ordered(session, select(Thing), MIXED, first=6, after=None)
    rest_before = await paginate_ordered(
        session, select(Thing), MIXED, first=100, after=first.cursors[-1]
    )
    # rank 9 sorts first (DESC): before the cursor, so the next page must not change
    session.add(Thing(id="zz", rank=9, day=date(2026, 1, 1), at=BASE_TIME))
    await session.commit()
    rest_after = await paginate_ordered(
        session, select(Thing), MIXED, first=100, after=first.cursors[-1]
    )
    assert [t.id for t in rest_after.rows] == [t.id for t in rest_before.rows]


@pytest.mark.parametrize(
    ("column", "key"),
    [
        ("at", lambda t: (_micros(t.at), t.id)),
        ("day", lambda t: (t.day, t.id)),
        ("rank", lambda t: (t.rank, t.id)),
    ],
)
async def test_column_ordering_descending(
    session: AsyncSession, column: str, key: Callable[[Thing], tuple[Any, ...]]
) -> None:
    ordering = column_ordering(column, getattr(Thing, column), Thing.id, descending=True)
    # descending on the column and on the id that breaks its ties
    expected = [t.id for t in sorted(_things(), key=key, reverse=True)]
    assert await _walk(session, ordering, 4) == expected


async def test_datetime_cursors_are_aware_utc_even_when_the_database_gives_naive(
    session: AsyncSession,
) -> None:
    ordering = column_ordering("at", Thing.at, Thing.id)
    page = await paginate_ordered(session, select(Thing), ordering, first=1, after=None)
    row = page.rows[0]
    decoded = ordering.decode(page.cursors[0])
    assert decoded[0].tzinfo is not None
    assert decoded[0] == (row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC))
    assert decoded[1] == row.id
    # a datetime in another zone means the same instant
    paris = datetime(2026, 3, 1, 13, 0, tzinfo=timezone(timedelta(hours=1)))
    assert ordering.decode(ordering.cursor(Thing(id="x", at=paris)))[0] == BASE_TIME


async def test_a_cursor_from_another_ordering_is_refused(session: AsyncSession) -> None:
    by_day = column_ordering("day", Thing.day, Thing.id)
    by_rank = column_ordering("rank", Thing.rank, Thing.id)
    page = await paginate_ordered(session, select(Thing), by_rank, first=2, after=None)
    with pytest.raises(BadUserInput, match="another ordering") as caught:
        await paginate_ordered(session, select(Thing), by_day, first=2, after=page.cursors[-1])
    assert caught.value.extensions == {"code": "BAD_USER_INPUT", "argument": "after"}
    with pytest.raises(CursorError, match="another ordering"):
        by_day.decode(page.cursors[-1])
    # with another number of keys it cannot be read at all (as tasks' tests expect)
    mixed = await paginate_ordered(session, select(Thing), MIXED, first=2, after=None)
    with pytest.raises(BadUserInput, match="malformed"):
        await paginate_ordered(session, select(Thing), by_day, first=2, after=mixed.cursors[-1])


def _raw_cursor(*values: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(list(values))).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor!",
        "",
        _raw_cursor("mixed"),  # right name, no values
        _raw_cursor("mixed", 1, ["d", "2026-01-01"], ["dt", "2026-03-01T12:00:00+00:00"]),
        _raw_cursor("mixed", "1", ["d", "2026-01-01"], ["dt", "2026-03-01T12:00:00+00:00"], "a"),
        _raw_cursor("mixed", True, ["d", "2026-01-01"], ["dt", "2026-03-01T12:00:00+00:00"], "a"),
        _raw_cursor("mixed", 1, ["d", "yesterday"], ["dt", "2026-03-01T12:00:00+00:00"], "a"),
        _raw_cursor("mixed", 1, "2026-01-01", ["dt", "2026-03-01T12:00:00+00:00"], "a"),
        _raw_cursor("mixed", 1, ["d", "2026-01-01"], ["dt", "2026-03-01T12:00:00"], "a"),  # naive
        _raw_cursor("mixed", 1, ["d", "2026-01-01"], ["d", "2026-03-01"], "a"),
        _raw_cursor({"name": "mixed"}),
    ],
)
async def test_malformed_cursors_are_bad_user_input(session: AsyncSession, cursor: str) -> None:
    with pytest.raises(BadUserInput, match="Invalid cursor: malformed cursor") as caught:
        await paginate_ordered(session, select(Thing), MIXED, first=2, after=cursor)
    assert caught.value.extensions["code"] == "BAD_USER_INPUT"


async def test_a_well_formed_cursor_continues_after_its_values(session: AsyncSession) -> None:
    cursor = _raw_cursor("mixed", 1, ["d", "2026-01-02"], ["dt", "2026-03-01T13:00:00+01:00"], "a")
    page = await paginate_ordered(session, select(Thing), MIXED, first=100, after=cursor)
    point = Thing(id="a", rank=1, day=date(2026, 1, 2), at=BASE_TIME)
    expected = [
        t.id for t in sorted(_things(), key=_mixed_key) if _mixed_key(t) > _mixed_key(point)
    ]
    assert [t.id for t in page.rows] == expected


def test_column_ordering_refuses_columns_it_cannot_put_in_a_cursor() -> None:
    with pytest.raises(TypeError, match="weight"):
        column_ordering("weight", Thing.weight, Thing.id)
