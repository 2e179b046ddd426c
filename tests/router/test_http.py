"""GraphQL over HTTP: methods, media types, status codes, header propagation, health, plans,
shared in-flight work, and hot reload — against canned subgraphs over real HTTP."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from router.server.app import create_app
from router.settings import RouterSettings
from tests.router.canned import CannedServer, CannedSubgraph, case_supergraph, load_case_subgraphs

CASES = Path(__file__).parent / "cases"
SCHEMAS = Path(__file__).parent / "schemas"


def _shop_data() -> dict[str, Any]:
    return dict(json.loads((SCHEMAS / "shop" / "data.json").read_text()))


@pytest_asyncio.fixture
async def canned() -> AsyncIterator[CannedServer]:
    server = CannedServer()
    data = _shop_data()
    for name, sdl in load_case_subgraphs(CASES / "shop-basic", SCHEMAS).items():
        server.add("shop", name, sdl, data[name])
    mutation_data = json.loads((SCHEMAS / "mutations" / "data.json").read_text())
    for name, sdl in load_case_subgraphs(CASES / "mutation-serial", SCHEMAS).items():
        server.add("mut", name, sdl, mutation_data[name])
    await server.start()
    yield server
    await server.stop()


def supergraph_file(case: str, prefix: str, port: int, tmp: Path) -> Path:
    sdl = case_supergraph(CASES / case).read_text()
    target = tmp / f"{case}.graphql"
    target.write_text(sdl.replace("http://subgraphs/", f"http://127.0.0.1:{port}/{prefix}/"))
    return target


class Router:
    def __init__(self, app: Starlette) -> None:
        self.app = app
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://router"
        )

    async def close(self) -> None:
        await self.client.aclose()
        await self.app.state.holder.stop()


@pytest_asyncio.fixture
async def make_router(canned: CannedServer, tmp_path: Path) -> AsyncIterator[Any]:
    routers: list[Router] = []

    def make(case: str = "shop-basic", prefix: str = "shop", **settings: Any) -> Router:
        path = supergraph_file(case, prefix, canned.port, tmp_path)
        app = create_app(RouterSettings(supergraph=str(path), hot_reload=False, **settings))
        router = Router(app)
        routers.append(router)
        return router

    yield make
    for router in routers:
        await router.close()


def sub(canned: CannedServer, key: str) -> CannedSubgraph:
    return canned.subgraphs[key]


async def test_post_json(make_router: Any) -> None:
    router = make_router()
    r = await router.client.post("/graphql", json={"query": "{ me { name } }"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    assert r.json() == {"data": {"me": {"name": "Ada Lovelace"}}}


async def test_graphql_response_media_type(make_router: Any) -> None:
    router = make_router()
    accept = {"accept": "application/graphql-response+json, application/json;q=0.9"}
    r = await router.client.post("/graphql", json={"query": "{ me { name } }"}, headers=accept)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/graphql-response+json")
    bad = await router.client.post("/graphql", json={"query": "{ me { nope } }"}, headers=accept)
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    legacy = await router.client.post("/graphql", json={"query": "{ me {"})
    assert legacy.status_code == 200  # application/json: well-formed request -> 200
    assert legacy.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


async def test_not_acceptable_and_bad_bodies(make_router: Any) -> None:
    router = make_router()
    r = await router.client.post("/graphql", json={"query": "{ me { name } }"},
                                 headers={"accept": "text/html"})  # fmt: skip
    assert r.status_code == 406
    r = await router.client.post(
        "/graphql", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 400
    r = await router.client.post("/graphql", json={"variables": {}})
    assert r.status_code == 400
    r = await router.client.post("/graphql", json=[1, 2])
    assert r.status_code == 400
    r = await router.client.post("/graphql", json={"query": "{ me { name } }", "variables": [1]})
    assert r.status_code == 400
    r = await router.client.post(
        "/graphql", content=b"query", headers={"content-type": "text/plain"}
    )
    assert r.status_code == 400  # a "simple" request: CSRF prevention refuses it first
    assert r.json()["errors"][0]["extensions"]["code"] == "CSRF_PREVENTED"
    lax = make_router(csrf_prevention=False)
    r = await lax.client.post("/graphql", content=b"query", headers={"content-type": "text/plain"})
    assert r.status_code == 415


PREFLIGHTED = {"apollo-require-preflight": "true"}  # a GET without it is refused (CSRF)


async def test_get_queries_and_mutations(make_router: Any) -> None:
    router = make_router()
    r = await router.client.get(
        "/graphql",
        params={"query": "query Q($u: String!) { product(upc: $u) { name } }",
                "variables": json.dumps({"u": "1"})},
        headers=PREFLIGHTED,
    )  # fmt: skip
    assert r.status_code == 200
    assert r.json() == {"data": {"product": {"name": "Table"}}}
    mutations = make_router("mutation-serial", "mut")
    r = await mutations.client.get(
        "/graphql", params={"query": "mutation { clear }"}, headers=PREFLIGHTED
    )
    assert r.status_code == 405
    assert "POST" in r.headers["allow"]
    r = await mutations.client.post("/graphql", json={"query": "mutation { clear }"})
    assert r.json() == {"data": {"clear": True}}


async def test_headers_propagated(make_router: Any, canned: CannedServer) -> None:
    router = make_router(propagate_headers=["authorization", "x-tenant"])
    accounts = sub(canned, "shop/accounts")
    before = len(accounts.headers)
    await router.client.post(
        "/graphql",
        json={"query": "{ me { name } }"},
        headers={"authorization": "Bearer t0k3n", "x-tenant": "acme", "x-secret": "no"},
    )
    sent = accounts.headers[before]
    assert sent["authorization"] == "Bearer t0k3n"
    assert sent["x-tenant"] == "acme"
    assert "x-secret" not in sent


async def test_health_and_ready(make_router: Any) -> None:
    router = make_router()
    assert (await router.client.get("/health")).json() == {"status": "ok"}
    ready = (await router.client.get("/ready")).json()
    assert ready["status"] == "ready" and len(ready["supergraph"]) == 16


async def test_query_plan_header_is_opt_in(make_router: Any) -> None:
    query = {"query": "{ topProducts { name inStock } }"}
    header = {"x-mosaic-query-plan": "true"}
    closed = make_router()
    r = await closed.client.post("/graphql", json=query, headers=header)
    assert "extensions" not in r.json()
    opened = make_router(expose_query_plan=True)
    r = await opened.client.post("/graphql", json=query, headers=header)
    plan = r.json()["extensions"]["queryPlan"]
    assert plan.startswith("QueryPlan {") and 'Fetch(service: "inventory")' in plan


async def test_identical_subgraph_requests_are_shared(
    make_router: Any, canned: CannedServer
) -> None:
    accounts = sub(canned, "shop/accounts")
    accounts.data["__delay"] = 1.0
    try:
        for dedup, expected in ((True, 1), (False, 3)):
            router = make_router(dedup_subgraph_requests=dedup)
            before = len(accounts.requests)
            results = await asyncio.gather(
                *(router.client.post("/graphql", json={"query": "{ me { name } }"})
                  for _ in range(3))
            )  # fmt: skip
            assert all(r.json() == {"data": {"me": {"name": "Ada Lovelace"}}} for r in results)
            assert len(accounts.requests) - before == expected
    finally:
        del accounts.data["__delay"]


async def test_identical_mutations_are_never_shared(make_router: Any, canned: CannedServer) -> None:
    cart = sub(canned, "mut/cart")
    cart.data["__delay"] = 1.0
    mutation = {"query": 'mutation { addItem(sku: "A", qty: 2) { id } }'}
    try:
        for coalesce, dedup in ((True, False), (False, True), (True, True)):
            router = make_router(
                "mutation-serial", "mut", coalesce_queries=coalesce, dedup_subgraph_requests=dedup
            )
            before = len(cart.requests)
            results = await asyncio.gather(
                *(router.client.post("/graphql", json=mutation) for _ in range(3))
            )
            assert all(r.json() == {"data": {"addItem": {"id": "c1"}}} for r in results)
            assert len(cart.requests) - before == 3, (coalesce, dedup)  # three writes, not one
            get = await router.client.get("/graphql", params=mutation, headers=PREFLIGHTED)
            assert get.status_code == 405
    finally:
        del cart.data["__delay"]


async def test_coalescing_tells_callers_apart_by_every_propagated_header(
    make_router: Any, canned: CannedServer
) -> None:
    accounts = sub(canned, "shop/accounts")
    accounts.data["__delay"] = 1.0
    try:
        router = make_router(
            coalesce_queries=True,
            dedup_subgraph_requests=False,
            propagate_headers=["authorization", "x-tenant"],
        )
        before = len(accounts.requests)
        query = {"query": "{ me { name } }"}
        results = await asyncio.gather(
            *(
                router.client.post("/graphql", json=query, headers={"x-tenant": tenant})
                for tenant in ("a", "a", "b")
            )
        )
        assert all(r.json()["data"] == {"me": {"name": "Ada Lovelace"}} for r in results)
        assert len(accounts.requests) - before == 2  # one per tenant
        tenants = sorted(h.get("x-tenant", "") for h in accounts.headers[-2:])
        assert tenants == ["a", "b"]
    finally:
        del accounts.data["__delay"]


async def test_identical_client_queries_coalesced_per_caller(
    make_router: Any, canned: CannedServer
) -> None:
    accounts = sub(canned, "shop/accounts")
    accounts.data["__delay"] = 1.0
    try:
        router = make_router(coalesce_queries=True, dedup_subgraph_requests=False)
        before = len(accounts.requests)
        same = {"authorization": "Bearer a"}
        results = await asyncio.gather(
            router.client.post("/graphql", json={"query": "{ me { name } }"}, headers=same),
            router.client.post("/graphql", json={"query": "{ me { name } }"}, headers=same),
            router.client.post(
                "/graphql", json={"query": "{ me { name } }"}, headers={"authorization": "Bearer b"}
            ),
        )
        assert all(r.json()["data"] == {"me": {"name": "Ada Lovelace"}} for r in results)
        assert len(accounts.requests) - before == 2  # one per caller
    finally:
        del accounts.data["__delay"]


async def test_hot_reload_keeps_in_flight_requests(canned: CannedServer, tmp_path: Path) -> None:
    path = supergraph_file("shop-basic", "shop", canned.port, tmp_path)
    app = create_app(RouterSettings(supergraph=str(path), hot_reload=False))
    router = Router(app)
    holder = app.state.holder
    accounts = sub(canned, "shop/accounts")
    accounts.data["__delay"] = 0.4
    try:
        slow = asyncio.create_task(
            router.client.post("/graphql", json={"query": "{ me { name } }"})
        )
        old = holder.current
        for _ in range(200):  # wait until the slow request is executing on the old supergraph
            if old.inflight == 1:
                break
            await asyncio.sleep(0.01)
        assert old.inflight == 1
        new_sdl = supergraph_file("mutation-serial", "mut", canned.port, tmp_path).read_text()
        path.write_text(new_sdl)
        assert holder.check() is True
        assert holder.current is not old and holder.reloads == 1
        # The in-flight request finishes on the old supergraph and its clients.
        assert (await slow).json() == {"data": {"me": {"name": "Ada Lovelace"}}}
        r = await router.client.post("/graphql", json={"query": "mutation { clear }"})
        assert r.json() == {"data": {"clear": True}}
        r = await router.client.post("/graphql", json={"query": "{ me { name } }"})
        assert r.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        # A broken file is ignored: the router keeps serving the last good supergraph.
        path.write_text("this is not a supergraph")
        assert holder.check() is False
        r = await router.client.post("/graphql", json={"query": "mutation { clear }"})
        assert r.json() == {"data": {"clear": True}}
    finally:
        del accounts.data["__delay"]
        await router.close()


@pytest.mark.parametrize("accept", ["application/json", "application/graphql-response+json"])
async def test_subgraph_failure_is_never_a_500(
    make_router: Any, canned: CannedServer, accept: str
) -> None:
    inventory = sub(canned, "shop/inventory")
    inventory.data["__fail"] = "garbage"
    try:
        router = make_router()
        r = await router.client.post(
            "/graphql", json={"query": "{ topProducts { name inStock } }"},
            headers={"accept": accept},
        )  # fmt: skip
        assert r.status_code == 200
        body = r.json()
        assert body["data"]["topProducts"][0] == {"name": "Table", "inStock": None}
        assert body["errors"][0]["extensions"]["code"] == "SUBREQUEST_HTTP_ERROR"
    finally:
        del inventory.data["__fail"]


async def test_subgraph_error_messages_can_be_redacted(
    make_router: Any, canned: CannedServer
) -> None:
    accounts = sub(canned, "shop/accounts")
    original = accounts.data["Query"]
    accounts.data["Query"] = {**original, "me": {"__error": "db password is hunter2"}}
    try:
        for include, message in ((True, "db password is hunter2"),
                                 (False, "Subgraph errors redacted")):  # fmt: skip
            router = make_router(include_subgraph_errors=include)
            r = await router.client.post("/graphql", json={"query": "{ me { name } }"})
            body = r.json()
            assert body["data"] == {"me": None}
            assert body["errors"][0]["message"] == message
            assert body["errors"][0]["path"] == ["me"]
    finally:
        accounts.data["Query"] = original


async def test_only_verified_claims_reach_the_subgraphs(
    make_router: Any, canned: CannedServer
) -> None:
    """MOSAIC_ROUTER_JWT_CLAIMS_HEADER: a subgraph gets the claims of the verified token in that
    header, never a value the client sent itself (even when the header is also listed to
    propagate): an anonymous caller cannot pass as someone else through it."""
    secret = b"s" * 40
    key = base64.urlsafe_b64encode(secret).rstrip(b"=").decode()
    jwks = {"keys": [{"kty": "oct", "kid": "k1", "alg": "HS256", "k": key}]}
    router = make_router(
        jwt_jwks=json.dumps(jwks),
        jwt_algorithms=["HS256"],
        jwt_claims_header="x-mosaic-claims",
        propagate_headers=["authorization", "x-mosaic-claims"],
    )
    accounts = sub(canned, "shop/accounts")
    spoof = {"x-mosaic-claims": json.dumps({"sub": "admin", "roles": ["ADMIN"]})}
    before = len(accounts.headers)
    await router.client.post("/graphql", json={"query": "{ me { name } }"}, headers=spoof)
    assert "x-mosaic-claims" not in accounts.headers[before]
    claims = {"sub": "u1", "exp": int(time.time()) + 600}
    token = jwt.encode(claims, secret, "HS256", headers={"kid": "k1"})
    before = len(accounts.headers)
    await router.client.post(
        "/graphql",
        json={"query": "{ me { name } }"},
        headers={**spoof, "authorization": f"Bearer {token}"},
    )
    assert json.loads(accounts.headers[before]["x-mosaic-claims"]) == claims
