"""The prepared-document cache: a repeated document is parsed, validated, normalized and
planned once (one frozen Executable in one LRU); entries are per operation name and per
override-label set; the cache is bounded (least recently used goes first); bad documents are
never cached as good ones; identical new documents in flight are prepared once; a hot reload
starts from an empty cache for the new supergraph."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from router.pipeline import Document, GraphQLRequest, Pipeline, RequestError, Source, hook
from router.pipeline.cache import LRU
from router.server.app import create_app
from router.settings import RouterSettings
from router.supergraph import load_supergraph
from tests.router.canned import case_supergraph

CASES = Path(__file__).parent / "cases"
SHOP = case_supergraph(CASES / "shop-basic").read_text()
TWO_OPS = "query A { me { name } } query B { topProducts { name } }"

parsed: list[str] = []


@hook("parse")
def count_parses(source: Source, next: Callable[[Source], Document]) -> Document:
    parsed.append(source.query)
    return next(source)


@pytest.fixture
def pipeline() -> Pipeline:
    parsed.clear()
    return Pipeline(load_supergraph(SHOP), RouterSettings(cache_size=3), [count_parses])


def request(query: str, operation_name: str | None = None) -> GraphQLRequest:
    return GraphQLRequest(query, operation_name, {}, (), "")


async def test_a_repeated_document_is_prepared_once(pipeline: Pipeline) -> None:
    first = await pipeline.prepare(request("{ me { name } }"))
    again = await pipeline.prepare(request("{ me { name } }"))
    assert again is first and parsed == ["{ me { name } }"]
    assert first.plan is not None and first.shaper is again.shaper


async def test_another_override_label_set_is_another_entry(pipeline: Pipeline) -> None:
    plain = await pipeline.prepare(request("{ me { name } }"))
    pipeline.preparer.labels = frozenset({"canary"})
    canary = await pipeline.prepare(request("{ me { name } }"))
    assert canary is not plain and canary.plan is not plain.plan
    assert await pipeline.prepare(request("{ me { name } }")) is canary


async def test_entries_are_per_operation_name(pipeline: Pipeline) -> None:
    a = await pipeline.prepare(request(TWO_OPS, "A"))
    b = await pipeline.prepare(request(TWO_OPS, "B"))
    assert a is not b
    assert a.operation.name == "A" and b.operation.name == "B"
    assert await pipeline.prepare(request(TWO_OPS, "A")) is a
    with pytest.raises(RequestError) as missing:
        await pipeline.prepare(request(TWO_OPS))
    assert missing.value.code == "GRAPHQL_VALIDATION_FAILED"


async def test_the_cache_is_bounded_and_evicts_the_least_recently_used(
    pipeline: Pipeline,
) -> None:
    docs = [f"{{ topProducts(first: {n}) {{ name }} }}" for n in range(1, 5)]
    first = await pipeline.prepare(request(docs[0]))
    await pipeline.prepare(request(docs[1]))
    await pipeline.prepare(request(docs[2]))
    assert await pipeline.prepare(request(docs[0])) is first  # used again: now the most recent
    await pipeline.prepare(request(docs[3]))  # evicts docs[1], the least recently used
    assert len(pipeline.preparer.cache) == 3
    assert await pipeline.prepare(request(docs[0])) is first
    parsed.clear()
    await pipeline.prepare(request(docs[1]))  # prepared anew
    assert parsed == [docs[1]] and len(pipeline.preparer.cache) == 3


async def test_bad_documents_are_rejected_every_time_and_never_cached(
    pipeline: Pipeline,
) -> None:
    for _ in range(2):
        with pytest.raises(RequestError) as parse_error:
            await pipeline.prepare(request("{ me { name "))
        assert parse_error.value.code == "GRAPHQL_PARSE_FAILED"
        with pytest.raises(RequestError) as invalid:
            await pipeline.prepare(request("{ me { nope } }"))
        assert invalid.value.code == "GRAPHQL_VALIDATION_FAILED"
    assert len(pipeline.preparer.cache) == 0


gate = threading.Event()
entered = threading.Event()


@hook("validate")
def held_validation(document: Document, next: Callable[[Document], Document]) -> Document:
    entered.set()
    gate.wait(10)
    return next(document)


async def test_identical_new_documents_in_flight_are_prepared_once() -> None:
    """A long document goes to a worker thread; callers that arrive meanwhile share it."""
    gate.clear()
    entered.clear()
    parsed.clear()
    pipeline = Pipeline(load_supergraph(SHOP), RouterSettings(), [count_parses, held_validation])
    long_query = "{ me { name } }" + " " * 4096
    first = asyncio.create_task(pipeline.prepare(request(long_query)))
    await asyncio.to_thread(entered.wait, 10)
    others = [asyncio.create_task(pipeline.prepare(request(long_query))) for _ in range(3)]
    await asyncio.sleep(0)  # let them join the flight before it lands
    gate.set()
    results: list[Any] = await asyncio.gather(first, *others)
    assert all(r is results[0] for r in results) and len(parsed) == 1


def test_lru_keeps_at_least_one_entry() -> None:
    lru: LRU[str, int] = LRU(0)
    lru.put("a", 1)
    lru.put("b", 2)
    assert len(lru) == 1 and lru.get("a") is None and lru.get("b") == 2


async def test_hot_reload_starts_an_empty_cache_for_the_new_supergraph(tmp_path: Path) -> None:
    path = tmp_path / "supergraph.graphql"
    path.write_text(SHOP)
    app = create_app(RouterSettings(supergraph=str(path), hot_reload=False))
    holder = app.state.holder
    try:
        old = holder.current
        await old.prepare(request("{ me { name } }"))
        assert len(old.preparer.cache) == 1
        path.write_text(case_supergraph(CASES / "mutation-serial").read_text())
        assert holder.check() is True
        new = holder.current
        assert new is not old and new.preparer is not old.preparer
        assert len(new.preparer.cache) == 0
        # The cached document of the old schema is not valid against the new one.
        with pytest.raises(RequestError) as invalid:
            await new.prepare(request("{ me { name } }"))
        assert invalid.value.code == "GRAPHQL_VALIDATION_FAILED"
    finally:
        await holder.stop()
