"""Guards before expensive work: hostile documents from a generator are each refused with their
own code, while a health probe and another client's ordinary query keep being answered; large
new documents are prepared off the event loop, within a budget."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from router.pipeline import Document, Source, hook
from router.pipeline.prepare import INLINE_BYTES
from router.server.app import create_app
from router.settings import RouterSettings
from tests.router.canned import CannedServer, case_supergraph, load_case_subgraphs
from tests.router.test_http import _shop_data

CASES = Path(__file__).parent / "cases"
SCHEMAS = Path(__file__).parent / "schemas"
ORDINARY = {"query": "{ topProducts(first: 2) { name reviews { body } } }"}


def aliases(n: int) -> str:
    return "{" + " ".join(f"a{i}: __typename" for i in range(n)) + "}"


def deep_fields(levels: int) -> str:
    """topProducts { reviews { product { reviews { product ... } } } } — real fields."""
    inner = "name"
    for _ in range(levels):
        inner = f"reviews {{ product {{ {inner} }} }}"
    return f"{{ topProducts {{ {inner} }} }}"


def nested_selections(levels: int) -> str:
    """Selection sets nested deeper than the parser's recursion allows."""
    return "{ __schema { types { " + "ofType { " * levels + "name" + " }" * (levels + 3)


def fragment_bomb(width: int, levels: int) -> str:
    """F0 has an alias; each F(n+1) spreads F(n) `width` times: width**levels aliases expanded."""
    parts = ["fragment F0 on Query { a: __typename }"]
    for n in range(1, levels + 1):
        spreads = " ".join(f"...F{n - 1}" for _ in range(width))
        parts.append(f"fragment F{n} on Query {{ {spreads} }}")
    parts.append(f"{{ ...F{levels} }}")
    return "\n".join(parts)


def nested_input(levels: int) -> str:
    return '{ product(upc: "1", x: ' + "{a: " * levels + "1" + "}" * levels + ") { name } }"


# (name, request body, HTTP status, extensions.code)
HOSTILE: list[tuple[str, dict[str, Any], int, str]] = [
    ("100,000 aliases", {"query": aliases(100_000)}, 200, "MAX_TOKENS_LIMIT"),
    ("2,000 aliases", {"query": aliases(2_000)}, 200, "MAX_ALIASES_LIMIT"),
    ("deep fields", {"query": deep_fields(40)}, 200, "MAX_DEPTH_LIMIT"),
    ("selections nested past the parser", {"query": nested_selections(3_000)}, 200,
     "MAX_DEPTH_LIMIT"),
    ("fragments spread many times", {"query": fragment_bomb(10, 6)}, 200, "MAX_ALIASES_LIMIT"),
    ("300 root fields", {"query": "{" + " ".join(f"p{i}: topProducts {{ name }}"
                                                for i in range(300)) + "}"}, 200,
     "MAX_ROOT_FIELDS_LIMIT"),
    ("directives on one field", {"query": "{ topProducts" + " @skip(if: false)" * 40
                                          + " { name } }"}, 200, "MAX_DIRECTIVES_LIMIT"),
    ("a huge argument list", {"query": '{ product(upc: "1", x: [' + ", ".join(["1"] * 20_000)
                                       + "]) { name } }"}, 200, "MAX_TOKENS_LIMIT"),
    ("a 3 MB string", {"query": '{ product(upc: "' + "x" * 3_000_000 + '") { name } }'}, 413,
     "PAYLOAD_TOO_LARGE"),
    ("deeply nested input objects", {"query": nested_input(3_000)}, 200, "MAX_DEPTH_LIMIT"),
]  # fmt: skip

gate = threading.Event()
parked = threading.Event()


@hook("parse")
def park_large_documents(source: Source, next: Callable[[Source], Document]) -> Document:
    """Holds the preparation of a large document (a worker thread's job) until released."""
    if len(source.query) > INLINE_BYTES and not gate.is_set():
        parked.set()
        gate.wait(60)
    return next(source)


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
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://router", timeout=60
        )
        made.append((app, client))
        return client

    yield make
    for app, client in made:
        await client.aclose()
        await app.state.holder.stop()


def code(response: httpx.Response) -> str:
    return str(response.json()["errors"][0]["extensions"]["code"])


@pytest.mark.parametrize(
    ("name", "body", "status", "expected"), HOSTILE, ids=[h[0] for h in HOSTILE]
)
async def test_each_hostile_document_is_refused_with_its_code(
    router: Callable[..., httpx.AsyncClient], name: str, body: dict[str, Any], status: int,
    expected: str,
) -> None:  # fmt: skip
    client = router()
    response = await client.post("/graphql", json=body)
    assert response.status_code == status, response.text[:300]
    assert code(response) == expected
    message = response.json()["errors"][0]["message"]
    assert any(ch.isdigit() for ch in message) or "deeply" in message  # the limit is named


async def test_health_and_other_clients_are_answered_during_an_attack(
    router: Callable[..., httpx.AsyncClient],
) -> None:
    """Every large hostile document is parked inside its preparation (a worker thread); while
    all of them are parked, /health and an ordinary query are answered. Were preparation on the
    event loop, the parked hook would hold the loop and neither could answer."""
    gate.clear()
    parked.clear()
    client = router(hooks=[f"{__name__}:park_large_documents"])
    before = (await client.post("/graphql", json=ORDINARY)).json()
    assert before["data"]["topProducts"] and "errors" not in before
    large = [h for h in HOSTILE if len(h[1]["query"]) > INLINE_BYTES and h[2] != 413]
    attack = [
        asyncio.create_task(client.post("/graphql", json=body))
        for _, body, _, _ in large
        for _ in range(3)
    ]
    try:
        assert await asyncio.to_thread(parked.wait, 60)
        health = await client.get("/health")
        ordinary = await client.post("/graphql", json=ORDINARY)
        assert health.json() == {"status": "ok"}
        assert ordinary.json() == before
        assert not any(task.done() for task in attack)  # still held: answered *during* it
    finally:
        gate.set()
    answers = await asyncio.gather(*attack)
    expected = [code_ for _, _, _, code_ in large for _ in range(3)]
    assert [code(a) for a in answers] == expected


stop_spinning = threading.Event()
spun_down = threading.Event()


@hook("validate")
def spin(document: Document, next: Callable[[Document], Document]) -> Document:
    """A preparation that never ends by itself (a stand-in for a superlinear planner)."""
    if len(document.source.query) <= INLINE_BYTES:
        return next(document)
    try:
        while not stop_spinning.is_set():
            sum(range(100))
    finally:
        spun_down.set()
    return next(document)


async def test_a_preparation_over_budget_fails_clearly_and_is_stopped(
    router: Callable[..., httpx.AsyncClient],
) -> None:
    stop_spinning.clear()
    spun_down.clear()
    client = router(hooks=[f"{__name__}:spin"], prepare_timeout=0.5)
    before = (await client.post("/graphql", json=ORDINARY)).json()
    try:
        response = await client.post(
            "/graphql", json={"query": "{ topProducts { name } }" + " " * INLINE_BYTES}
        )
        assert response.status_code == 503
        assert code(response) == "PREPARATION_TIMEOUT"
        assert "MOSAIC_ROUTER_PREPARE_TIMEOUT" in response.json()["errors"][0]["message"]
        # The worker thread was interrupted, not left spinning.
        assert await asyncio.to_thread(spun_down.wait, 30)
        assert (await client.post("/graphql", json=ORDINARY)).json() == before
    finally:
        stop_spinning.set()


async def test_cost_is_enforced_or_only_measured(
    router: Callable[..., httpx.AsyncClient], caplog: pytest.LogCaptureFixture
) -> None:
    costly = {"query": "{ topProducts(first: 5) { reviews { author { reviews { body } } } } }"}
    enforced = router(max_cost=100)
    refused = await enforced.post("/graphql", json=costly)
    assert code(refused) == "COST_ESTIMATED_TOO_EXPENSIVE"
    assert "limit is 100" in refused.json()["errors"][0]["message"]
    measured = router(max_cost=100, cost_mode="measure")
    with caplog.at_level("WARNING", logger="mosaic.router"):
        served = await measured.post("/graphql", json=costly)
    assert "data" in served.json() and "errors" not in served.json()
    assert any("estimated cost" in r.getMessage() for r in caplog.records)
    # The same document under the default limit: served.
    assert "errors" not in (await router().post("/graphql", json=costly)).json()


async def test_limits_off_and_a_legitimate_large_document_is_served(
    router: Callable[..., httpx.AsyncClient],
) -> None:
    client = router(max_tokens=0, max_aliases=0, max_root_fields=0)
    response = await client.post("/graphql", json={"query": aliases(3_000)})
    body = response.json()
    assert "errors" not in body and len(body["data"]) == 3_000
