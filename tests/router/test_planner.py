"""Planner properties beyond the fixture snapshots: mutation order, progressive override labels,
condition nodes, variable usages, fetch names and the pure (no IO) contract."""

from __future__ import annotations

from pathlib import Path

from graphql import parse

from router.pipeline import Pipeline
from router.planner import (
    ConditionNode,
    FetchNode,
    FlattenNode,
    PlanNode,
    QueryPlan,
    build_plan,
    normalize,
)
from router.settings import RouterSettings
from router.supergraph import Supergraph, load_supergraph
from tests.router.canned import case_supergraph

CASES = Path(__file__).parent / "cases"


def supergraph(case: str) -> Supergraph:
    return load_supergraph(case_supergraph(CASES / case).read_text())


def plan(sg: Supergraph, query: str, labels: frozenset[str] = frozenset()) -> QueryPlan:
    return build_plan(sg, normalize(sg.schema, parse(query), None), labels)


def fetches(node: PlanNode | None) -> list[FetchNode]:
    if node is None:
        return []
    if isinstance(node, FetchNode):
        return [node]
    if isinstance(node, FlattenNode | ConditionNode):
        return fetches(node.node)
    return [f for child in node.nodes for f in fetches(child)]


def test_mutation_fields_run_in_order_and_are_never_merged() -> None:
    sg = supergraph("mutation-serial")
    found = fetches(plan(sg, 'mutation { clear checkout(cartId: "c1") { id } a: clear }').node)
    assert [(f.service, f.operation_kind) for f in found] == [
        ("cart", "mutation"), ("orders", "mutation"), ("cart", "mutation"),
    ]  # fmt: skip
    same = fetches(plan(sg, 'mutation { clear a: addItem(sku: "A") { id } }').node)
    assert len(same) == 1 and same[0].operation.count("clear") == 1


def test_progressive_override_labels_choose_the_subgraph() -> None:
    sg = supergraph("override-label-on")
    off = fetches(plan(sg, "{ parcels { carrier } }").node)
    on = fetches(plan(sg, "{ parcels { carrier } }", frozenset({"percent(0)"})).node)
    assert [f.service for f in off] == ["old"]
    assert [f.service for f in on] == ["old", "new"]
    assert "carrier" in on[1].operation


def test_percent_labels_are_rolled_per_request() -> None:
    text = case_supergraph(CASES / "override-label-on").read_text()
    always = Pipeline(
        load_supergraph(text.replace("percent(0)", "percent(100)")),
        RouterSettings(hot_reload=False),
    )
    never = Pipeline(load_supergraph(text), RouterSettings(hot_reload=False))
    assert all(always.preparer.enabled_labels() == {"percent(100)"} for _ in range(20))
    assert all(never.preparer.enabled_labels() == frozenset() for _ in range(20))


def test_condition_nodes_and_variable_usages() -> None:
    sg = supergraph("shop-basic")
    query = (
        "query Q($v: Boolean!, $first: Int) { topProducts(first: $first) { name "
        "reviews @include(if: $v) { body } } }"
    )
    result = plan(sg, query)
    root, reviews = fetches(result.node)
    assert root.variable_usages == ("first",) and "$first:Int" in root.operation
    assert reviews.variable_usages == () and "@include" not in reviews.operation
    assert "Include(if: $v)" in result.pretty()
    assert root.operation_name == "Q__products__0" and reviews.operation_name == "Q__reviews__1"


def test_planning_is_pure_and_deterministic() -> None:
    sg = supergraph("shop-deep")
    query = (CASES / "shop-deep" / "query.graphql").read_text()
    first, second = plan(sg, query), plan(sg, query)
    assert first == second and first.pretty() == second.pretty()
