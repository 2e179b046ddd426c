"""Every subgraph operation the planner emits for the fixture cases (tests/router/cases) and the
differential suite (tests/router/differential) is valid against that subgraph's own schema: the
router never sends an operation a subgraph must reject.

Planning only (no IO): each query is planned as the router plans it, and each fetch's operation
is validated by graphql-core against the schema built from the subgraph's SDL (the canned
subgraphs' schema builder, which adds `_entities` for resolvable keys as a subgraph library does).
Entity fetches of one parallel stage to one subgraph, which the executor sends as one request,
are validated as that one operation too (`batched_operation`, the executor's own printer).
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from graphql import GraphQLSchema, parse, validate

from router.executor.run import batched_operation
from router.planner import FetchNode, build_plan, normalize
from router.planner.plan import ConditionNode, FlattenNode, ParallelNode, PlanNode
from router.supergraph import Supergraph, load_supergraph
from tests.router.canned import build_subgraph_schema, case_supergraph, load_case_subgraphs
from tests.router.differential.cases import load_all

HERE = Path(__file__).parent
CASES = sorted(p for p in (HERE / "cases").iterdir() if p.is_dir())
DIFFERENTIAL = HERE / "differential"
# Case id -> the planner shape (issue 9) that makes a subgraph reject an operation of its plan.
KNOWN: dict[str, str] = {}


@dataclass(frozen=True)
class Planned:
    supergraph: str  # a key of _supergraphs()
    query: str
    operation_name: str | None
    labels: frozenset[str] = frozenset()


def batches(node: PlanNode | None) -> list[list[tuple[int, FetchNode]]]:
    """The entity fetches the executor may send together: per parallel stage and subgraph."""
    if node is None:
        return []
    found: list[list[tuple[int, FetchNode]]] = []
    if isinstance(node, ParallelNode):
        by_service: dict[str, list[FetchNode]] = {}
        for child in node.nodes:
            while isinstance(child, ConditionNode):
                child = child.node
            if isinstance(child, FlattenNode) and isinstance(child.node, FetchNode):
                if child.node.requires is not None:
                    by_service.setdefault(child.node.service, []).append(child.node)
        found += [list(enumerate(group)) for group in by_service.values() if len(group) > 1]
    for child in getattr(node, "nodes", ()) or ():
        found += batches(child)
    inner = getattr(node, "node", None)
    return found + (batches(inner) if inner is not None else [])


def fetches(node: PlanNode | None) -> list[FetchNode]:
    if node is None:
        return []
    if isinstance(node, FetchNode):
        return [node]
    found: list[FetchNode] = []
    for child in getattr(node, "nodes", ()) or ():
        found += fetches(child)
    inner = getattr(node, "node", None)
    return found + (fetches(inner) if inner is not None else [])


_BUILT: dict[Path, tuple[Supergraph, dict[str, GraphQLSchema]]] = {}


def _fixture_schemas(case: Path) -> tuple[Supergraph, dict[str, GraphQLSchema]]:
    """Built once per supergraph file: the cases of a shared schema set share it."""
    path = case_supergraph(case)
    if path not in _BUILT:
        sdls = load_case_subgraphs(case, HERE / "schemas")
        schemas = {name: build_subgraph_schema(sdl) for name, sdl in sdls.items()}
        _BUILT[path] = (load_supergraph(path.read_text()), schemas)
    return _BUILT[path]


@cache
def _differential_schemas() -> dict[str, tuple[Supergraph, dict[str, GraphQLSchema]]]:
    script = DIFFERENTIAL / "subgraphs" / "sdl.mjs"
    out = subprocess.run(
        ["node", str(script)], check=True, capture_output=True, text=True, timeout=120
    )
    sets: dict[str, dict[str, str]] = json.loads(out.stdout)
    return {
        name: (
            load_supergraph((DIFFERENTIAL / "supergraphs" / f"{name}.graphql").read_text()),
            {sub: build_subgraph_schema(sdl) for sub, sdl in subgraphs.items()},
        )
        for name, subgraphs in sets.items()
    }


def rejected(
    supergraph: Supergraph, subgraphs: dict[str, GraphQLSchema], planned: Planned
) -> list[str]:
    """The planned operations a subgraph would reject, with the reasons."""
    document = parse(planned.query)
    if validate(supergraph.api_schema, document):
        return []  # the router answers a validation error and sends nothing
    operation = normalize(supergraph.schema, document, planned.operation_name)
    plan = build_plan(supergraph, operation, planned.labels)
    problems: list[str] = []
    sent = [(f.service, f.operation) for f in fetches(plan.node)]
    sent += [(b[0][1].service, batched_operation(b)[0]) for b in batches(plan.node)]
    for service, text in sent:
        errors = validate(subgraphs[service], parse(text))
        problems += [f"{service}: {e.message}\n  {text}" for e in errors]
    return problems


def _check(case_id: str, problems: list[str]) -> None:
    if case_id in KNOWN:
        if problems:
            pytest.xfail(KNOWN[case_id])
        pytest.fail(f"{case_id} passes now: remove it from KNOWN ({KNOWN[case_id]})")
    assert not problems, "\n".join(problems)


def _request(case: Path) -> dict[str, Any]:
    path = case / "request.json"
    return json.loads(path.read_text()) if path.exists() else {}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fixture_case_operations_are_valid(case: Path) -> None:
    request = _request(case)
    supergraph, subgraphs = _fixture_schemas(case)
    query = (case / "query.graphql").read_text()
    try:
        parse(query)
    except Exception:
        pytest.skip("the case's query does not parse: nothing is planned")
    planned = Planned(
        case.name, query, request.get("operationName"), frozenset(request.get("labels", []))
    )
    _check(f"cases/{case.name}", rejected(supergraph, subgraphs, planned))


DIFF_CASES = [c for c in load_all() if not c.invalid]


@pytest.mark.parametrize("case", DIFF_CASES, ids=[c.id for c in DIFF_CASES])
def test_differential_case_operations_are_valid(case: Any) -> None:
    supergraph, subgraphs = _differential_schemas()[case.supergraph]
    planned = Planned(case.supergraph, case.query, case.operation_name)
    _check(f"differential/{case.id}", rejected(supergraph, subgraphs, planned))
