"""Fixture cases: each tests/router/cases/<name>/ holds a supergraph (composed by Apollo), canned
subgraphs, a query, the expected plan snapshot and the expected response. The router plans the
query (checked against plan.txt) and executes it over real HTTP against the canned subgraphs
(checked against expected.json)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from graphql import parse

from router.planner import (
    ConditionNode,
    FetchNode,
    FlattenNode,
    PlanNode,
    SequenceNode,
    build_plan,
    normalize,
)
from router.server.app import create_app
from router.settings import RouterSettings
from router.supergraph import load_supergraph
from tests.router.canned import CannedServer, case_supergraph, load_case_subgraphs

HERE = Path(__file__).parent
CASES = sorted(p for p in (HERE / "cases").iterdir() if p.is_dir())
SCHEMAS = HERE / "schemas"


def _json(path: Path, default: Any) -> Any:
    return json.loads(path.read_text()) if path.exists() else default


def case_data(case: Path) -> dict[str, Any]:
    shared: dict[str, Any] = {}
    schema_file = case / "schema"
    if schema_file.exists():
        shared = _json(SCHEMAS / schema_file.read_text().strip() / "data.json", {})
    return {**shared, **_json(case / "data.json", {})}


@pytest_asyncio.fixture(scope="module")
async def canned() -> AsyncIterator[CannedServer]:
    server = CannedServer()
    for case in CASES:
        data = case_data(case)
        for name, sdl in load_case_subgraphs(case, SCHEMAS).items():
            server.add(case.name, name, sdl, data.get(name, {}))
    await server.start()
    yield server
    await server.stop()


def write_supergraph(case: Path, port: int, tmp: Path) -> Path:
    sdl = case_supergraph(case).read_text()
    sdl = sdl.replace("http://subgraphs/", f"http://127.0.0.1:{port}/{case.name}/")
    target = tmp / "supergraph.graphql"
    target.write_text(sdl)
    return target


async def run_case(case: Path, port: int, tmp_path: Path) -> tuple[int, dict[str, Any], str]:
    """POST the case's query to a router serving the case; (status, body, plan)."""
    request = _json(case / "request.json", {})
    settings = RouterSettings(
        supergraph=str(write_supergraph(case, port, tmp_path)),
        expose_query_plan=True,
        hot_reload=False,
        subgraph_timeout=float(request.get("timeout", 5)),
        override_labels=request.get("labels", []),
    )
    app = create_app(settings)
    body = {
        "query": (case / "query.graphql").read_text(),
        "variables": request.get("variables"),
        "operationName": request.get("operationName"),
    }
    headers = {"x-mosaic-query-plan": "true", **request.get("headers", {})}
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://router") as client:
            response = await client.post("/graphql", json=body, headers=headers)
    finally:
        await app.state.holder.stop()
    result = response.json()
    plan = result.get("extensions", {}).pop("queryPlan", None) or ""
    if not result.get("extensions"):
        result.pop("extensions", None)
    return response.status_code, result, plan


def comparable(body: dict[str, Any]) -> dict[str, Any]:
    """What must agree with the reference: data, and the client paths of errors (messages and
    extensions differ between implementations, so they are not compared)."""
    errors = body.get("errors") or []
    return {
        "data": json.dumps(body.get("data")),  # field order matters too
        "error_paths": sorted(json.dumps(e.get("path")) for e in errors),
    }


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_case(case: Path, canned: CannedServer, tmp_path: Path) -> None:
    request = _json(case / "request.json", {})
    status, result, plan = await run_case(case, canned.port, tmp_path)
    assert status == request.get("status", 200)
    assert plan.strip() == (case / "plan.txt").read_text().strip()
    expected = json.loads((case / "expected.json").read_text())
    assert comparable(result) == comparable(expected)
    for error in result.get("errors", []):
        assert isinstance(error.get("message"), str) and error["message"]


def _apollo_comparable(case: Path) -> bool:
    """Apollo's plan snapshot is a plan for the same request (compose.mjs plans without
    override labels, so cases that enable labels are not comparable)."""
    apollo = case / "apollo-plan.txt"
    return (
        apollo.exists()
        and apollo.read_text().startswith("QueryPlan")
        and not _json(case / "request.json", {}).get("labels")
    )


PLANNED = [c for c in CASES if _apollo_comparable(c)]


def subgraph_requests(node: PlanNode | None) -> int:
    """Subgraph requests a plan sends at most: entity fetches of one Parallel to one subgraph
    go as one request (the executor's batching, `run_parallel`), like one fetch of Apollo's
    with several representations."""
    if node is None:
        return 0
    if isinstance(node, FetchNode):
        return 1
    if isinstance(node, FlattenNode | ConditionNode):
        return subgraph_requests(node.node)
    if isinstance(node, SequenceNode):
        return sum(subgraph_requests(child) for child in node.nodes)
    batched: set[str] = set()
    count = 0
    for child in node.nodes:
        inner = child
        while isinstance(inner, ConditionNode):
            inner = inner.node
        if (
            isinstance(inner, FlattenNode)
            and isinstance(inner.node, FetchNode)
            and inner.node.requires is not None
        ):
            batched.add(inner.node.service)
        else:
            count += subgraph_requests(child)
    return count + len(batched)


@pytest.mark.parametrize("case", PLANNED, ids=[c.name for c in PLANNED])
def test_no_more_fetches_than_apollo(case: Path) -> None:
    """Mosaic's plan sends no more subgraph requests than Apollo's plan has fetches. Its plan
    snapshot has no more fetches either, except where Apollo's plan answers wrongly
    (`expected.keep`): there a correct plan may need another fetch (reqargs-two-*)."""
    supergraph = load_supergraph(case_supergraph(case).read_text())
    request = _json(case / "request.json", {})
    operation = normalize(
        supergraph.schema,
        parse((case / "query.graphql").read_text()),
        request.get("operationName"),
    )
    plan = build_plan(supergraph, operation)
    apollo = (case / "apollo-plan.txt").read_text().count("Fetch(")
    assert subgraph_requests(plan.node) <= apollo
    if not (case / "expected.keep").exists():
        assert plan.pretty().count("Fetch(") <= apollo
