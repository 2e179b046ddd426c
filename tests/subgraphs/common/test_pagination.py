"""Relay cursor codec and page-size rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subgraphs.common.errors import BadUserInput
from subgraphs.common.pagination import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    Page,
    check_first,
    decode_cursor,
    encode_cursor,
    to_connection,
)


@given(st.text())
def test_cursor_round_trips_and_is_opaque(key: str) -> None:
    cursor = encode_cursor(key)
    assert decode_cursor(cursor) == key
    assert key == "" or key not in cursor or len(key) < 3


@pytest.mark.parametrize("cursor", ["!!!", "bm90LXZlcnNpb25lZA", "\u00e9t\u00e9"])
def test_foreign_cursors_are_bad_user_input(cursor: str) -> None:
    with pytest.raises(BadUserInput):
        decode_cursor(cursor)


def test_first_bounds() -> None:
    assert check_first(None) == DEFAULT_PAGE_SIZE
    assert check_first(0) == 0
    assert check_first(MAX_PAGE_SIZE) == MAX_PAGE_SIZE
    for bad in (-1, MAX_PAGE_SIZE + 1):
        with pytest.raises(BadUserInput):
            check_first(bad)


def test_to_connection_builds_page_info() -> None:
    page = Page(rows=[1, 2], cursors=["c1", "c2"], has_next_page=True, has_previous_page=False)
    connection = to_connection(page, lambda n: n * 10)
    assert [(e.cursor, e.node) for e in connection.edges] == [("c1", 10), ("c2", 20)]
    assert connection.page_info.start_cursor == "c1"
    assert connection.page_info.end_cursor == "c2"
    assert connection.page_info.has_next_page is True
    empty = to_connection(
        Page(rows=[], cursors=[], has_next_page=False, has_previous_page=True), str
    )
    assert empty.page_info.start_cursor is None and empty.page_info.end_cursor is None
