"""The document and plan caches: a repeated document is parsed, validated, normalized and
planned once; entries are per operation name and per override-label set; the cache is bounded
(least recently used goes first); bad documents are never cached as good ones; a hot reload
starts from an empty cache for the new supergraph."""

from __future__ import annotations

from pathlib import Path

import pytest

import router.server.prepare as prepare_module
from router.server.app import create_app
from router.server.cache import LRU
from router.server.prepare import Preparer, RequestError
from router.settings import RouterSettings
from router.supergraph import load_supergraph
from tests.router.canned import case_supergraph

CASES = Path(__file__).parent / "cases"
SHOP = case_supergraph(CASES / "shop-basic").read_text()
TWO_OPS = "query A { me { name } } query B { topProducts { name } }"


@pytest.fixture
def preparer() -> Preparer:
    return Preparer(load_supergraph(SHOP), cache_size=3, introspection=True)


def test_a_repeated_document_is_prepared_and_planned_once(
    preparer: Preparer, monkeypatch: pytest.MonkeyPatch
) -> None:
    parses: list[str] = []
    real_parse = prepare_module.parse

    def counting_parse(source: str) -> object:
        parses.append(source)
        return real_parse(source)

    monkeypatch.setattr(prepare_module, "parse", counting_parse)
    first = preparer.prepare("{ me { name } }", None)
    again = preparer.prepare("{ me { name } }", None)
    assert again is first and len(parses) == 1
    plan = preparer.plan(first, frozenset())
    assert preparer.plan(again, frozenset()) is plan
    # Another override-label set is another plan of the same document.
    other = preparer.plan(first, frozenset({"canary"}))
    assert other is not plan and preparer.plan(first, frozenset({"canary"})) is other


def test_entries_are_per_operation_name(preparer: Preparer) -> None:
    a = preparer.prepare(TWO_OPS, "A")
    b = preparer.prepare(TWO_OPS, "B")
    assert a is not b
    assert a.operation.name == "A" and b.operation.name == "B"
    assert preparer.prepare(TWO_OPS, "A") is a and preparer.prepare(TWO_OPS, "B") is b
    with pytest.raises(RequestError) as missing:
        preparer.prepare(TWO_OPS, None)
    assert missing.value.code == "GRAPHQL_VALIDATION_FAILED"


def test_the_cache_is_bounded_and_evicts_the_least_recently_used(preparer: Preparer) -> None:
    docs = [f"{{ topProducts(first: {n}) {{ name }} }}" for n in range(1, 5)]
    first = preparer.prepare(docs[0], None)
    preparer.prepare(docs[1], None)
    preparer.prepare(docs[2], None)
    assert preparer.prepare(docs[0], None) is first  # used again: now the most recent
    preparer.prepare(docs[3], None)  # evicts docs[1], the least recently used
    assert len(preparer.cache) == 3
    assert preparer.prepare(docs[0], None) is first
    second = preparer.prepare(docs[1], None)  # prepared anew
    assert len(preparer.cache) == 3 and second.operation.kind == "query"


def test_bad_documents_are_rejected_every_time_and_never_cached(preparer: Preparer) -> None:
    for _ in range(2):
        with pytest.raises(RequestError) as parse_error:
            preparer.prepare("{ me { name ", None)
        assert parse_error.value.code == "GRAPHQL_PARSE_FAILED"
        with pytest.raises(RequestError) as invalid:
            preparer.prepare("{ me { nope } }", None)
        assert invalid.value.code == "GRAPHQL_VALIDATION_FAILED"
    assert len(preparer.cache) == 0


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
        old.preparer.prepare("{ me { name } }", None)
        assert len(old.preparer.cache) == 1
        path.write_text(case_supergraph(CASES / "mutation-serial").read_text())
        assert holder.check() is True
        new = holder.current
        assert new is not old and new.preparer is not old.preparer
        assert len(new.preparer.cache) == 0
        # The cached document of the old schema is not valid against the new one.
        with pytest.raises(RequestError) as invalid:
            new.preparer.prepare("{ me { name } }", None)
        assert invalid.value.code == "GRAPHQL_VALIDATION_FAILED"
    finally:
        await holder.stop()
