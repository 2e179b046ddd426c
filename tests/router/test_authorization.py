"""@authenticated, @requiresScopes and @policy enforced by the router before any fetch, over
real HTTP: unauthorized fields never reach a subgraph, come back as null with an
UNAUTHORIZED_FIELD_OR_TYPE error at their path, and the rest of the query is served."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import orjson
import pytest

from router.auth.jwt import Claims
from router.compose import SubgraphSource, compose
from router.pipeline import PolicyCheck, hook
from router.server.app import create_app
from router.settings import RouterSettings
from subgraphs.common.keys import SigningKey, generate_private_pem
from tests.router.canned import CannedServer, CannedSubgraph
from tests.utils.asgi import serve

FED = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", '
    '"@authenticated", "@requiresScopes", "@policy"])\n'
)
SHOP = (
    FED
    + """
type Query { products: [Product!]! me: Account @authenticated stats: Stats }
type Product @key(fields: "upc") {
  upc: ID!
  name: String
  cost: Int @requiresScopes(scopes: [["finance"], ["admin", "audit"]])
}
type Account @key(fields: "id") { id: ID! name: String }
type Stats @requiresScopes(scopes: [["admin"]]) { orders: Int! }
"""
)
PEOPLE = (
    FED
    + """
type Account @key(fields: "id") {
  id: ID!
  email: String @policy(policies: [["self"]])
  strict: String! @requiresScopes(scopes: [["strict"]])
}
type Product @key(fields: "upc") { upc: ID! reviews: [String] @authenticated }
"""
)
DATA: dict[str, dict[str, Any]] = {
    "shop": {
        "Query": {
            "products": [{"upc": "1", "name": "Lamp", "cost": 9}, {"upc": "2", "name": "Desk"}],
            "me": {"id": "u1", "name": "Ann"},
            "stats": {"orders": 3},
        },
        "entities": {"Account": [{"id": "u1", "name": "Ann"}]},
    },
    "people": {
        "entities": {
            "Account": [{"id": "u1", "email": "ann@example.com", "strict": "s"}],
            "Product": [{"upc": "1", "reviews": ["bright"]}, {"upc": "2", "reviews": []}],
        }
    },
}
KEY = SigningKey(kid="k1", private_pem=generate_private_pem())
POLICY_CALLS: list[frozenset[str]] = []


def decide(policies: frozenset[str], claims: Claims | None) -> Iterable[str]:
    """The policy hook under test: "self" is granted to user u1."""
    POLICY_CALLS.append(policies)
    return {"self"} if claims is not None and claims.subject == "u1" else set()


@dataclass
class Graph:
    url: str
    subgraphs: dict[str, CannedSubgraph]

    async def post(self, query: str, token: str | None = None, **extra: str) -> dict[str, Any]:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        headers.update(extra)
        async with httpx.AsyncClient(timeout=60) as client:
            response = await client.post(self.url, json={"query": query}, headers=headers)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def sent(self) -> str:
        """Every query text the subgraphs received."""
        return "\n".join(r["query"] for s in self.subgraphs.values() for r in s.requests)

    def forget(self) -> None:
        for s in self.subgraphs.values():
            s.requests.clear()


def _token(sub: str = "u1", scope: str | None = None) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {"sub": sub, "iat": now, "exp": now + 600}
    if scope is not None:
        claims["scope"] = scope
    return jwt.encode(claims, KEY.private_pem, algorithm="RS256", headers={"kid": KEY.kid})


@contextlib.asynccontextmanager
async def running_graph(tmp_path: Path, **options: Any) -> AsyncIterator[Graph]:
    server = CannedServer()
    subs = {name: server.add("authz", name, sdl, DATA[name]) for name, sdl in
            (("shop", SHOP), ("people", PEOPLE))}  # fmt: skip
    await server.start()
    try:
        base = f"http://127.0.0.1:{server.port}/authz"
        result = compose([SubgraphSource(n, f"{base}/{n}", s) for n, s in
                          (("shop", SHOP), ("people", PEOPLE))])  # fmt: skip
        assert result.supergraph_sdl is not None, result.errors
        supergraph = tmp_path / "supergraph.graphql"
        supergraph.write_text(result.supergraph_sdl)
        settings = RouterSettings(
            _env_file=None,  # type: ignore[call-arg]
            supergraph=str(supergraph),
            hot_reload=False,
            jwt_jwks=orjson.dumps(KEY.jwks()).decode(),
            **options,
        )
        async with serve(create_app(settings)) as url:
            yield Graph(f"{url}/graphql", subs)
    finally:
        await server.stop()


@pytest.fixture
async def graph(tmp_path: Path) -> AsyncIterator[Graph]:
    async with running_graph(tmp_path, policy_hook=f"{__name__}:decide") as running:
        yield running


def _errors(body: dict[str, Any]) -> list[tuple[list[Any], str]]:
    return sorted((e["path"], e["extensions"]["code"]) for e in body.get("errors", []))


UNAUTHORIZED = "UNAUTHORIZED_FIELD_OR_TYPE"


async def test_anonymous_callers_get_the_rest_of_the_query(graph: Graph) -> None:
    body = await graph.post("{ products { name cost reviews } me { name } }")
    assert body["data"] == {
        "products": [
            {"name": "Lamp", "cost": None, "reviews": None},
            {"name": "Desk", "cost": None, "reviews": None},
        ],
        "me": None,
    }
    assert _errors(body) == [
        (["me"], UNAUTHORIZED),
        (["products", "@", "cost"], UNAUTHORIZED),
        (["products", "@", "reviews"], UNAUTHORIZED),
    ]
    assert body["errors"][0]["message"] == "Unauthorized field or type"
    assert graph.sent() == "{products{name}}"  # one fetch, without any refused field
    assert not graph.subgraphs["people"].requests


async def test_scopes_are_alternatives_of_all_of(graph: Graph) -> None:
    query = "{ products { name cost } stats { orders } }"
    finance = await graph.post(query, _token(scope="finance"))
    assert finance["data"]["products"][0] == {"name": "Lamp", "cost": 9}
    assert _errors(finance) == [(["stats"], UNAUTHORIZED)]
    half = await graph.post(query, _token(scope="admin"))  # admin alone is not admin+audit
    assert _errors(half) == [(["products", "@", "cost"], UNAUTHORIZED)]
    assert half["data"]["stats"] == {"orders": 3}
    both = await graph.post(query, _token(scope="admin audit"))
    assert "errors" not in both
    assert both["data"]["products"][0]["cost"] == 9


async def test_policies_are_decided_by_the_hook(graph: Graph) -> None:
    POLICY_CALLS.clear()
    query = "{ me { name email } }"
    mine = await graph.post(query, _token("u1"))
    assert mine == {"data": {"me": {"name": "Ann", "email": "ann@example.com"}}}
    graph.forget()
    other = await graph.post(query, _token("u2"))
    assert other["data"] == {"me": {"name": "Ann", "email": None}}
    assert _errors(other) == [(["me", "email"], UNAUTHORIZED)]
    assert not graph.subgraphs["people"].requests  # email lives there: never asked
    assert POLICY_CALLS == [frozenset({"self"})] * 2


async def test_a_non_null_unauthorized_field_nulls_its_parent(graph: Graph) -> None:
    # `strict` is String!: its null propagates to `me` (GraphQL null propagation).
    body = await graph.post("{ me { name strict } products { name } }", _token())
    assert body["data"] == {"me": None, "products": [{"name": "Lamp"}, {"name": "Desk"}]}
    assert _errors(body) == [(["me", "strict"], UNAUTHORIZED)]
    allowed = await graph.post("{ me { name strict } }", _token(scope="strict"))
    assert allowed == {"data": {"me": {"name": "Ann", "strict": "s"}}}


async def test_a_fully_unauthorized_query_sends_nothing(graph: Graph) -> None:
    body = await graph.post("{ me { name } stats { orders } }")
    assert body["data"] == {"me": None, "stats": None}
    assert _errors(body) == [(["me"], UNAUTHORIZED), (["stats"], UNAUTHORIZED)]
    assert graph.sent() == ""


async def test_skipped_fields_are_checked_as_written(graph: Graph) -> None:
    """Apollo Router enforces the directives on the operation as written: a guarded field under
    @skip(if: true) / @include(if: false) (literal or variable) still gets its error."""
    query = (
        "query($no: Boolean!) { products { name cost @skip(if: true) } "
        "me @include(if: $no) { name } }"
    )
    async with httpx.AsyncClient(timeout=60) as client:
        response = await client.post(graph.url, json={"query": query, "variables": {"no": False}})
    body = response.json()
    assert body["data"] == {"products": [{"name": "Lamp"}, {"name": "Desk"}]}
    assert _errors(body) == [(["me"], UNAUTHORIZED), (["products", "@", "cost"], UNAUTHORIZED)]
    assert graph.sent() == "{products{name}}"


@hook("policy")
async def grant_on_header(
    check: PolicyCheck, next: Callable[[PolicyCheck], Awaitable[frozenset[str]]]
) -> frozenset[str]:
    """A `policy` stage hook: what the inner decider grants, plus what `x-grant` names (it sees
    the whole request, as Apollo's coprocessor does)."""
    granted = await next(check)
    wanted = check.request.http.header(b"x-grant") if check.request.http else None
    return granted | ({wanted} if wanted else set())


async def test_policies_decided_by_a_policy_stage_hook(tmp_path: Path) -> None:
    hooks = [f"{__name__}:grant_on_header"]
    async with running_graph(tmp_path, hooks=hooks) as graph:  # no MOSAIC_ROUTER_POLICY_HOOK
        query = "{ me { name email } }"
        denied = await graph.post(query, _token())
        assert denied["data"] == {"me": {"name": "Ann", "email": None}}
        assert _errors(denied) == [(["me", "email"], UNAUTHORIZED)]
        granted = await graph.post(query, _token(), **{"x-grant": "self"})
        assert granted == {"data": {"me": {"name": "Ann", "email": "ann@example.com"}}}
        # A policy nobody asked for grants nothing.
        other = await graph.post(query, _token(), **{"x-grant": "admin"})
        assert _errors(other) == [(["me", "email"], UNAUTHORIZED)]
