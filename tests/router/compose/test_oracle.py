"""Mosaic's composition agrees with @apollo/composition on every fixture set.

One node process composes all sets (tests/router/compose/oracle.mjs). On success the API
schemas print identically (after a canonical sort), the join__ metadata is equivalent, and
Apollo's own Supergraph.build() loads Mosaic's supergraph into the same API schema; on
failure the sets of error codes are equal.
"""

from __future__ import annotations

import pytest

from tests.router.compose.oracle_support import Comparison, compare_all, fixture_sets

SETS = fixture_sets()

pytestmark = pytest.mark.peers


@pytest.fixture(scope="module")
def comparisons() -> dict[str, Comparison]:
    return compare_all(SETS)


def test_fixture_counts() -> None:
    failing = [name for name in SETS if name.startswith("fail_")]
    assert len(SETS) >= 40
    assert len(failing) >= 15


@pytest.mark.parametrize("name", sorted(SETS))
def test_agrees_with_apollo(name: str, comparisons: dict[str, Comparison]) -> None:
    result = comparisons[name]
    expect_ok = not name.startswith("fail_")
    assert result.apollo_ok is expect_ok, f"fixture name says ok={expect_ok}: {result.detail}"
    assert result.mosaic_ok is result.apollo_ok, result.detail
    if result.mosaic_ok:
        assert result.api_equal, result.detail
        assert result.join_equal, result.detail
        assert result.apollo_loads_mosaic, result.detail
        assert result.apollo_api_of_mosaic_equal, result.detail
    else:
        assert result.mosaic_codes == result.apollo_codes, result.detail
