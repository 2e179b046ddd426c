"""Mosaic's composition agrees with @apollo/composition on every fixture set.

One node process composes all sets (tests/router/compose/oracle.mjs). On success the API
schemas print identically (after a canonical sort), the join__ metadata is equivalent, and
Apollo's own Supergraph.build() loads Mosaic's supergraph into the same API schema, and the
supergraph text is byte-identical to Apollo's; on failure the sets of error codes are equal.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from graphql import lexicographic_sort_schema, print_schema

from router.compose.config import load_config, sources
from router.federation import normalize_field_set
from router.supergraph import Supergraph, load_supergraph
from tests.router.compose.oracle_support import Comparison, compare_all, fixture_sets

ROOT = Path(__file__).parents[3]
PROJECT = sources(load_config(ROOT / "supergraph.yaml", {}))
SETS = {**fixture_sets(), **({"ok_project_subgraphs": PROJECT} if PROJECT else {})}

pytestmark = pytest.mark.peers


@pytest.fixture(scope="module")
def comparisons() -> dict[str, Comparison]:
    return compare_all(SETS)


def test_fixture_counts() -> None:
    failing = [name for name in SETS if name.startswith("fail_")]
    assert len(SETS) >= 40
    assert len(failing) >= 15
    assert "users" in {s.name for s in PROJECT}


@pytest.mark.parametrize("name", sorted(n for n in SETS if n.startswith("ok_")))
def test_router_loads_both_supergraphs(name: str, comparisons: dict[str, Comparison]) -> None:
    """The router's supergraph loader reads Mosaic's and Apollo's output into the same model."""
    result = comparisons[name]
    assert result.mosaic_supergraph is not None and result.apollo_supergraph is not None
    ours = router_view(load_supergraph(result.mosaic_supergraph))
    theirs = router_view(load_supergraph(result.apollo_supergraph))
    assert ours == theirs


def router_view(supergraph: Supergraph) -> dict[str, Any]:
    """What the router's planner reads from a supergraph, in a comparable form."""
    types: dict[str, Any] = {}
    for name, t in supergraph.types.items():
        if name.startswith(("join__", "link__")):
            continue
        fields = {
            f.name: (
                f.shareable,
                sorted(
                    (g, s.external, normalize_field_set(s.requires_text or ""),
                     normalize_field_set(s.provides_text or ""), s.overrides, s.override_label)
                    for g, s in f.sources.items()
                ),
            )
            for f in t.fields.values()
        }  # fmt: skip
        types[name] = (
            t.kind,
            sorted(t.graphs),
            sorted((k.graph, normalize_field_set(k.fields), k.resolvable) for k in t.keys),
            sorted(t.interface_object_graphs),
            {g: sorted(i) for g, i in t.implements.items()},
            {g: sorted(m) for g, m in t.members.items()},
            fields,
        )
    return {
        "graphs": {g.name: g.url for g in supergraph.graphs.values()},
        "types": types,
        "roots": dict(supergraph.root_types),
        "api": print_schema(lexicographic_sort_schema(supergraph.api_schema)),
    }


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
        assert result.supergraph_identical, "supergraph text differs from Apollo's"
    else:
        assert result.mosaic_codes == result.apollo_codes, result.detail
