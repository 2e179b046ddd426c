"""Fuzzing: schema-generated and malformed documents never give a 500 or an unhandled error."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis_graphql
import pytest
from graphql import print_schema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from router.pipeline import GraphQLRequest, Pipeline
from router.settings import RouterSettings
from router.supergraph import load_supergraph
from tests.router.canned import CannedServer, case_supergraph, load_case_subgraphs

HERE = Path(__file__).parent
CASES = HERE / "cases"
SCHEMAS = HERE / "schemas"
FUZZ_CASES = ("shop-basic", "abstract-union-fragments", "ifaceobj-into", "keys-multiple",
              "mutation-serial", "enums-argument")  # fmt: skip


class Loop:
    """A private event loop thread-free runner, so hypothesis can drive async code."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)


@pytest.fixture(scope="module")
def env() -> Iterator[tuple[Loop, dict[str, Pipeline]]]:
    loop = Loop()
    server = CannedServer()
    states: dict[str, Pipeline] = {}
    for case in FUZZ_CASES:
        schema = (CASES / case / "schema").read_text().strip()
        data = json.loads((SCHEMAS / schema / "data.json").read_text())
        for name, sdl in load_case_subgraphs(CASES / case, SCHEMAS).items():
            server.add(case, name, sdl, data.get(name, {}))
    loop.run(server.start())
    for case in FUZZ_CASES:
        text = case_supergraph(CASES / case).read_text()
        text = text.replace("http://subgraphs/", f"http://127.0.0.1:{server.port}/{case}/")
        settings = RouterSettings(supergraph="-", hot_reload=False, subgraph_timeout=5)
        states[case] = Pipeline(load_supergraph(text), settings)
    yield loop, states
    for state in states.values():
        loop.run(state.close())
    loop.run(server.stop())
    loop.loop.close()


def _check(loop: Loop, state: Pipeline, query: str, variables: Any = None) -> dict[str, Any]:
    response = loop.run(state.process(GraphQLRequest(query, None, variables or {}, (), "", "POST")))
    assert response.status in (200, 400), response.body
    body = response.body
    assert "data" in body or body.get("errors")
    for error in body.get("errors", []):
        assert isinstance(error["message"], str) and error["message"]
    json.dumps(body)  # serialisable
    return body


@pytest.mark.parametrize("case", FUZZ_CASES)
def test_generated_operations(case: str, env: tuple[Loop, dict[str, Pipeline]]) -> None:
    loop, states = env
    state = states[case]
    sdl = print_schema(state.supergraph.api_schema)
    strategy = (
        hypothesis_graphql.mutations(sdl)
        if state.supergraph.api_schema.mutation_type is not None and case.startswith("mutation")
        else hypothesis_graphql.queries(sdl)
    )

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck),
              database=None)  # fmt: skip
    @given(strategy)
    def run(query: str) -> None:
        body = _check(loop, state, query)
        # Generated operations are valid: any error comes from execution, never from planning.
        for error in body.get("errors", []):
            assert error.get("extensions", {}).get("code") != "QUERY_PLANNING_FAILED", error

    run()


MALFORMED = st.one_of(
    st.text(max_size=200),
    st.text(alphabet="{}()[]:$@!.,= \nqueryfragmentonme__typename", max_size=120),
    st.builds(
        lambda a, b: "{ " + a + " { " + b + " } }",
        st.sampled_from(["me", "topProducts", "users", "nope", "__schema", "__type"]),
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz_ {}.", max_size=40),
    ),
)
VARIABLES = st.one_of(
    st.none(), st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5))
)


def test_malformed_documents(env: tuple[Loop, dict[str, Pipeline]]) -> None:
    loop, states = env

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck),
              database=None)  # fmt: skip
    @given(MALFORMED, VARIABLES)
    def run(query: str, variables: Any) -> None:
        _check(loop, states["shop-basic"], query, variables)

    run()
