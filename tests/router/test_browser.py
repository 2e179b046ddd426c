"""Browser safety and headers both ways: CSRF prevention, CORS (preflight, allowed and refused
origins, credentials), Set-Cookie and Cache-Control from subgraphs, error masking in
production, x-request-id, Server-Timing, and hooks wrapping every stage."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from pydantic import ValidationError

from router.pipeline import (
    ExecutionRequest,
    GraphQLRequest,
    GraphQLResponse,
    HttpRequest,
    HttpResponse,
    Result,
    hook,
)
from router.server.app import create_app
from router.settings import RouterSettings
from tests.router.canned import CannedServer, case_supergraph, load_case_subgraphs
from tests.router.test_http import _shop_data

CASES = Path(__file__).parent / "cases"
SCHEMAS = Path(__file__).parent / "schemas"
QUERY = {"query": "{ topProducts { name reviews { body } } }"}  # products, then reviews
ORIGIN = "https://app.example"


@pytest_asyncio.fixture
async def canned() -> AsyncIterator[CannedServer]:
    server = CannedServer()
    data = _shop_data()
    for name, sdl in load_case_subgraphs(CASES / "shop-basic", SCHEMAS).items():
        server.add("shop", name, sdl, data[name])
    await server.start()
    yield server
    await server.stop()


@pytest_asyncio.fixture
async def router(
    canned: CannedServer, tmp_path: Path
) -> AsyncIterator[Callable[..., httpx.AsyncClient]]:
    sdl = case_supergraph(CASES / "shop-basic").read_text()
    path = tmp_path / "supergraph.graphql"
    path.write_text(sdl.replace("http://subgraphs/", f"http://127.0.0.1:{canned.port}/shop/"))
    made: list[tuple[Any, httpx.AsyncClient]] = []

    def make(**settings: Any) -> httpx.AsyncClient:
        app = create_app(RouterSettings(supergraph=str(path), hot_reload=False, **settings))
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://r")
        made.append((app, client))
        return client

    yield make
    for app, client in made:
        await client.aclose()
        await app.state.holder.stop()


def code(response: httpx.Response) -> str:
    return str(response.json()["errors"][0]["extensions"]["code"])


async def test_csrf_prevention_refuses_simple_requests(
    router: Callable[..., httpx.AsyncClient],
) -> None:
    client = router()
    params = {"query": "{ topProducts { name } }"}
    refused = [
        await client.get("/graphql", params=params),
        await client.post("/graphql", content=b"{}", headers={"content-type": "text/plain"}),
        await client.post(
            "/graphql", content=b"query=x",
            headers={"content-type": "application/x-www-form-urlencoded"},
        ),
    ]  # fmt: skip
    for response in refused:
        assert response.status_code == 400 and code(response) == "CSRF_PREVENTED"
    allowed = [
        await client.get("/graphql", params=params, headers={"apollo-require-preflight": "1"}),
        await client.get("/graphql", params=params, headers={"x-apollo-operation-name": "Q"}),
        await client.get("/graphql", params=params, headers={"content-type": "application/json"}),
        await client.post("/graphql", json=params),
    ]
    for response in allowed:
        assert response.status_code == 200 and response.json()["data"]["topProducts"]
    lax = router(csrf_prevention=False)
    assert (await lax.get("/graphql", params=params)).json()["data"]["topProducts"]


async def test_cors_preflight_origins_and_credentials(
    router: Callable[..., httpx.AsyncClient],
) -> None:
    client = router(cors_origins=[ORIGIN], cors_allow_credentials=True)
    asks = {
        "origin": ORIGIN,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type,authorization",
    }
    preflight = await client.options("/graphql", headers=asks)
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    assert preflight.headers["access-control-allow-credentials"] == "true"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert preflight.headers["access-control-allow-headers"] == "content-type,authorization"
    refused = await client.options("/graphql", headers={**asks, "origin": "https://evil.example"})
    assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers
    served = await client.post("/graphql", json=QUERY, headers={"origin": ORIGIN})
    assert served.headers["access-control-allow-origin"] == ORIGIN
    assert served.headers["access-control-allow-credentials"] == "true"
    assert "x-request-id" in served.headers["access-control-expose-headers"]
    other = await client.post("/graphql", json=QUERY, headers={"origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers  # the browser hides the answer
    anyone = router(cors_origins=["*"])
    public = await anyone.post("/graphql", json=QUERY, headers={"origin": "https://x.example"})
    assert public.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in public.headers
    with pytest.raises(ValidationError, match="not '\\*'"):
        RouterSettings(cors_origins=["*"], cors_allow_credentials=True)


async def test_set_cookie_from_two_subgraphs_and_the_most_restrictive_cache_control(
    router: Callable[..., httpx.AsyncClient], canned: CannedServer
) -> None:
    products, reviews = canned.subgraphs["shop/products"], canned.subgraphs["shop/reviews"]
    products.data["__headers"] = [
        ("set-cookie", "p=1; HttpOnly; Path=/"),
        ("cache-control", "public, max-age=300"),
    ]
    reviews.data["__headers"] = [
        ("set-cookie", "r=2; HttpOnly; Path=/"),
        ("cache-control", "private, max-age=60"),
    ]
    try:
        response = await router().post("/graphql", json=QUERY)
        assert response.json()["data"]["topProducts"]
        assert sorted(response.headers.get_list("set-cookie")) == [
            "p=1; HttpOnly; Path=/",
            "r=2; HttpOnly; Path=/",
        ]
        assert response.headers["cache-control"] == "private, max-age=60"
        reviews.data["__headers"] = [("cache-control", "no-store")]
        again = await router().post("/graphql", json=QUERY)
        assert again.headers["cache-control"] == "no-store"
        assert again.headers.get_list("set-cookie") == ["p=1; HttpOnly; Path=/"]
        only = await router(subgraph_response_headers=["cache-control"]).post(
            "/graphql", json=QUERY
        )
        assert only.headers.get_list("set-cookie") == []
    finally:
        del products.data["__headers"], reviews.data["__headers"]


async def test_subgraph_errors_are_masked_in_production(
    router: Callable[..., httpx.AsyncClient],
    canned: CannedServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    accounts = canned.subgraphs["shop/accounts"]
    secret = "connection to db-internal:5432 failed"
    accounts.data["Query"]["me"] = {
        "__error": secret,
        "extensions": {"code": "INTERNAL_SERVER_ERROR", "stacktrace": ["at db.py:42"]},
    }
    query = {"query": "{ me { name } }"}
    dev = (await router().post("/graphql", json=query)).json()["errors"][0]
    assert dev["message"] == secret and dev["extensions"]["stacktrace"] == ["at db.py:42"]
    with caplog.at_level(logging.WARNING, logger="mosaic.router"):
        masked = (await router(MOSAIC_ENV="production").post("/graphql", json=query)).json()[
            "errors"
        ][0]
    assert masked["message"] == "Subgraph errors redacted"
    assert masked["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "stacktrace" not in masked["extensions"]
    error_id = masked["extensions"]["errorId"]
    logged = [r.getMessage() for r in caplog.records if error_id in r.getMessage()]
    assert logged and secret in logged[0]


@hook("execute")
async def explode(operation: ExecutionRequest, next: Callable[..., Any]) -> Result:
    raise RuntimeError("the vault code is 1234")


async def test_internal_errors_carry_an_error_id_that_is_in_the_log(
    router: Callable[..., httpx.AsyncClient], caplog: pytest.LogCaptureFixture
) -> None:
    hooks = [f"{__name__}:explode"]
    with caplog.at_level(logging.ERROR, logger="mosaic.router"):
        dev = await router(hooks=hooks).post("/graphql", json=QUERY)
        prod = await router(hooks=hooks, MOSAIC_ENV="production").post("/graphql", json=QUERY)
    assert dev.status_code == prod.status_code == 500
    assert "vault code" in dev.json()["errors"][0]["message"]  # dev: the reason helps
    error = prod.json()["errors"][0]
    assert "vault" not in prod.text and error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    error_id = error["extensions"]["errorId"]
    records = [r for r in caplog.records if error_id in r.getMessage()]
    assert records and records[0].exc_info is not None  # the traceback is in the log only


async def test_production_turns_off_introspection_and_the_plan_header(
    router: Callable[..., httpx.AsyncClient],
) -> None:
    intro = {"query": "{ __schema { queryType { name } } }"}
    plan_header = {"x-mosaic-query-plan": "true"}
    dev = router(expose_query_plan=True)
    assert (await dev.post("/graphql", json=intro)).json()["data"]["__schema"]
    assert (
        "queryPlan"
        in (await dev.post("/graphql", json=QUERY, headers=plan_header)).json()["extensions"]
    )
    prod = router(expose_query_plan=True, MOSAIC_ENV="production")
    assert code(await prod.post("/graphql", json=intro)) == "INTROSPECTION_DISABLED"
    assert "extensions" not in (await prod.post("/graphql", json=QUERY, headers=plan_header)).json()


async def test_request_id_timing_and_log_lines(
    router: Callable[..., httpx.AsyncClient],
    canned: CannedServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = router()
    products = canned.subgraphs["shop/products"]
    before = len(products.headers)
    response = await client.post("/graphql", json=QUERY)
    generated = response.headers["x-request-id"]
    assert len(generated) >= 16 and products.headers[before]["x-request-id"] == generated
    assert "total;dur=" in response.headers["server-timing"]
    assert "prepare;dur=" in response.headers["server-timing"]
    assert float(response.headers["x-process-time"]) > 0
    mine = await client.post("/graphql", json=QUERY, headers={"x-request-id": "abc-123"})
    assert mine.headers["x-request-id"] == "abc-123"
    assert products.headers[-1]["x-request-id"] == "abc-123"
    unsafe = await client.post("/graphql", json=QUERY, headers={"x-request-id": "a b\tc"})
    assert unsafe.headers["x-request-id"] != "a b\tc"
    with caplog.at_level(logging.INFO, logger="mosaic.router"):
        await client.post("/graphql", json={"query": "{ nope }"}, headers={"x-request-id": "r-9"})
    refused = [r for r in caplog.records if "refused" in r.getMessage()]
    assert refused and refused[-1].request_id == "r-9"  # type: ignore[attr-defined]


seen: list[str] = []


def _recorder(stage: str, is_async: bool) -> Callable[..., Any]:
    if is_async:

        async def record_async(value: Any, next: Callable[..., Any]) -> Any:
            seen.append(stage)
            return await next(value)

        return hook(stage)(record_async)

    def record(value: Any, next: Callable[..., Any]) -> Any:
        seen.append(stage)
        return next(value)

    return hook(stage)(record)


on_read = _recorder("read", True)
on_prepare = _recorder("prepare", True)
on_parse = _recorder("parse", False)
on_limits = _recorder("limits", False)
on_validate = _recorder("validate", False)
on_plan = _recorder("plan", False)
on_auth = _recorder("auth", True)
on_execute = _recorder("execute", True)
on_shape = _recorder("shape", True)
on_respond = _recorder("respond", True)
EVERY = ["read", "prepare", "parse", "limits", "validate", "plan", "auth", "execute", "shape",
         "respond"]  # fmt: skip


async def test_hooks_wrap_every_stage_in_order(router: Callable[..., httpx.AsyncClient]) -> None:
    seen.clear()
    client = router(hooks=[f"{__name__}:on_{stage}" for stage in EVERY])
    assert (await client.post("/graphql", json=QUERY)).json()["data"]["topProducts"]
    assert seen == EVERY
    seen.clear()
    await client.post("/graphql", json=QUERY)  # prepared already: no document stages
    assert seen == ["read", "prepare", "auth", "execute", "shape", "respond"]


@hook("respond")
async def stamp(response: GraphQLResponse, next: Callable[..., Any]) -> HttpResponse:
    out: HttpResponse = await next(response)
    return HttpResponse(out.status, (*out.headers, (b"x-stamped", b"yes")), out.body)


@hook("read")
async def refuse_anonymous(http: HttpRequest, next: Callable[..., Any]) -> GraphQLRequest:
    from router.pipeline import RequestError

    if http.header(b"authorization") is None:
        raise RequestError("Sign in first.", "UNAUTHENTICATED", 401)
    request: GraphQLRequest = await next(http)
    return request


async def test_hooks_change_the_output_or_refuse(router: Callable[..., httpx.AsyncClient]) -> None:
    client = router(hooks=[f"{__name__}:stamp", f"{__name__}:refuse_anonymous"])
    refused = await client.post("/graphql", json=QUERY)
    assert refused.status_code == 401 and code(refused) == "UNAUTHENTICATED"
    assert refused.headers["x-stamped"] == "yes"  # refusals go through `respond` too
    served = await client.post("/graphql", json=QUERY, headers={"authorization": "Bearer t"})
    assert served.json()["data"]["topProducts"] and served.headers["x-stamped"] == "yes"


README = Path(__file__).resolve().parents[2] / "README.md"


async def test_the_readme_hook_examples_work(
    router: Callable[..., httpx.AsyncClient], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The two hooks of README "Hooks", exactly as written there."""
    section = README.read_text().split("### Hooks", 1)[1]
    code_block = section.split("```python\n", 1)[1].split("```", 1)[0]
    (tmp_path / "myhooks.py").write_text(code_block)
    monkeypatch.syspath_prepend(str(tmp_path))
    client = router(hooks=["myhooks:add_header", "myhooks:deny_admin_stats"])
    served = await client.post("/graphql", json=QUERY)
    assert served.json()["data"]["topProducts"] and served.headers["x-served-by"] == "mosaic"
    denied = await client.post("/graphql", json={"query": "query AdminStats { __typename }"})
    assert denied.status_code == 403 and code(denied) == "FORBIDDEN"
    assert denied.json()["errors"][0]["message"] == "AdminStats is not served here."
    assert denied.headers["x-served-by"] == "mosaic"
