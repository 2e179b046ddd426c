"""The contract every search backend keeps: one suite, run on SQLite, PostgreSQL, and on
Elasticsearch when MOSAIC_ELASTICSEARCH_URL is set (conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from subgraphs.search.backends import SearchBackend
from subgraphs.search.documents import (
    PRODUCT,
    PROJECT,
    TASK,
    Document,
    Filters,
    SearchQuery,
    SearchResults,
    SuggestQuery,
)

ALICE, BOB = "alice", "bob"
LAPTOPS, KITCHEN = "cat-laptops", "cat-kitchen"


def when(day: int) -> datetime:
    return datetime(2026, 1, day, 12, tzinfo=UTC)


PRODUCTS = [
    Document(PRODUCT, "p-laptop", 1, "Laptop Pro 14", "A light laptop with a bright screen",
             ("computers", "sale"), LAPTOPS, created_at=when(1)),
    Document(PRODUCT, "p-air", 1, "Ultrabook Air", "Thin and light, a laptop for travel",
             ("computers",), LAPTOPS, created_at=when(2)),
    Document(PRODUCT, "p-phones", 1, "Wireless Headphones", "Noise cancelling over-ear sound",
             ("audio", "sale"), None, created_at=when(3)),
    Document(PRODUCT, "p-kettle", 1, "Electric Kettle", "Boils water for tea in a minute",
             ("kitchen",), KITCHEN, created_at=when(4)),
    Document(PRODUCT, "p-stand", 1, "Laptop Stand", "Aluminium <b>stand</b> for any laptop",
             ("accessories",), LAPTOPS, created_at=when(5)),
]  # fmt: skip
PROJECT_DOC = Document(PROJECT, "proj-1", 1, "Secret launch", "Laptop roadmap", project_id="proj-1")
TASK_DOC = Document(TASK, "task-1", 1, "Review laptop budget", "numbers", ("finance",),
                    project_id="proj-1", created_at=when(6))  # fmt: skip


async def search(
    backend: SearchBackend, text: str, viewer: str | None = None, **kw: Any
) -> SearchResults:
    await backend.refresh()
    return await backend.search(SearchQuery(text=text, viewer=viewer, **kw))


def ids(results: SearchResults) -> list[str]:
    return [hit.id for hit in results.hits]


async def test_typos_find_the_word(backend: SearchBackend) -> None:
    assert await backend.upsert(PRODUCTS) == len(PRODUCTS)
    assert "p-laptop" in ids(await search(backend, "laptp"))  # one letter missing
    assert ids(await search(backend, "wireless headphnoes")) == ["p-phones"]  # two edits
    assert ids(await search(backend, "kettel")) == ["p-kettle"]  # swapped letters
    assert ids(await search(backend, "xylophone")) == []
    # every word must match (each with its typos)
    assert ids(await search(backend, "laptop kettle")) == []


async def test_a_match_in_the_name_ranks_above_one_in_the_description(
    backend: SearchBackend,
) -> None:
    await backend.upsert(PRODUCTS)
    found = ids(await search(backend, "laptop"))
    assert set(found) == {"p-laptop", "p-air", "p-stand"}
    assert found.index("p-air") == 2  # "laptop" only in its description


async def test_filters_and_facets(backend: SearchBackend) -> None:
    await backend.upsert(PRODUCTS)
    in_laptops = await search(backend, "laptop", filters=Filters(category_id=LAPTOPS))
    assert set(ids(in_laptops)) == {"p-laptop", "p-air", "p-stand"}
    on_sale = await search(backend, "", filters=Filters(tags=("sale",)))
    assert ids(on_sale) == ["p-phones", "p-laptop"]  # no words: newest first
    both_tags = await search(backend, "", filters=Filters(tags=("sale", "computers")))
    assert ids(both_tags) == ["p-laptop"]
    window = await search(backend, "", filters=Filters(created_from=when(2), created_to=when(4)))
    assert ids(window) == ["p-phones", "p-air"]
    facets = {f.field: {b.value: b.count for b in f.buckets} for f in in_laptops.facets}
    assert facets["type"] == {PRODUCT: 3}
    assert facets["categoryId"] == {LAPTOPS: 3}
    assert facets["tags"] == {"computers": 2, "sale": 1, "accessories": 1}
    everything = await search(backend, "")
    counts = {f.field: {b.value: b.count for b in f.buckets} for f in everything.facets}
    assert counts["categoryId"] == {LAPTOPS: 3, KITCHEN: 1}
    assert [b.value for b in everything.facets[2].buckets][:2] == ["computers", "sale"]
    only_tasks = await search(backend, "laptop", types=frozenset({TASK}))
    assert ids(only_tasks) == []


async def test_pages_and_total(backend: SearchBackend) -> None:
    await backend.upsert(PRODUCTS)
    first = await search(backend, "laptop", limit=2)
    rest = await search(backend, "laptop", limit=2, offset=2)
    assert first.total == rest.total == 3
    assert len(first.hits) == 2 and len(rest.hits) == 1
    assert set(ids(first)) | set(ids(rest)) == {"p-laptop", "p-air", "p-stand"}
    assert first.hits[0].score >= first.hits[1].score >= rest.hits[0].score


async def test_highlights_mark_matches_and_escape_the_text(backend: SearchBackend) -> None:
    await backend.upsert(PRODUCTS)
    (hit,) = (await search(backend, "stand aluminium")).hits
    by_field = {h.field: h.snippet for h in hit.highlights}
    assert "<em>" in by_field["name"] and "Stand" in by_field["name"]
    # stored markup never reaches a client as markup (escaped, or dropped by PostgreSQL)
    assert "<em>" in by_field["description"] and "<b>" not in by_field["description"]


async def test_a_projects_documents_show_to_its_members_only(backend: SearchBackend) -> None:
    await backend.upsert([*PRODUCTS, PROJECT_DOC, TASK_DOC])
    assert await backend.set_members("proj-1", [ALICE], version=1)
    assert set(ids(await search(backend, "laptop budget", ALICE))) == {"task-1"}
    assert ids(await search(backend, "laptop budget", BOB)) == []
    assert ids(await search(backend, "laptop budget")) == []
    everything_bob = await search(backend, "", BOB)
    assert {"task-1", "proj-1"}.isdisjoint(ids(everything_bob))
    bob_facets = {f.field: {b.value: b.count for b in f.buckets} for f in everything_bob.facets}
    assert "finance" not in bob_facets["tags"] and TASK not in bob_facets["type"]
    assert await backend.projects_of(ALICE) == {"proj-1"}
    # membership changes are versioned too: an older list changes nothing
    assert await backend.set_members("proj-1", [ALICE, BOB], version=3)
    assert not await backend.set_members("proj-1", [ALICE], version=2)
    assert set(ids(await search(backend, "laptop", BOB))) >= {"task-1", "proj-1"}
    suggestions = await backend.suggest(SuggestQuery("review", viewer=BOB))
    assert [s.id for s in suggestions] == ["task-1"]
    assert await backend.suggest(SuggestQuery("review", viewer=None)) == []
    # a deleted project takes its documents with it, and older events cannot bring them back
    assert await backend.delete_project("proj-1", version=3)
    assert not await backend.set_members("proj-1", [ALICE, BOB], version=3)
    await backend.upsert([TASK_DOC])
    assert ids(await search(backend, "laptop budget", BOB)) == []
    assert await backend.projects_of(BOB) == frozenset()


async def test_changes_apply_once_and_in_version_order(backend: SearchBackend) -> None:
    v1 = Document(PRODUCT, "p-1", 1, "Desk lamp")
    v2 = Document(PRODUCT, "p-1", 2, "Floor lamp")
    assert await backend.upsert([v1]) == 1
    assert await backend.upsert([v2]) == 1
    assert await backend.upsert([v1]) == 0  # older: ignored
    assert await backend.upsert([v2]) == 1  # the same change twice: harmless
    assert [h.id for h in (await search(backend, "floor")).hits] == ["p-1"]
    assert ids(await search(backend, "desk")) == []
    # in one batch, the newest change of a document wins whatever the order
    assert await backend.upsert([Document(PRODUCT, "p-2", 5, "Red chair"),
                                 Document(PRODUCT, "p-2", 4, "Blue chair")]) == 1  # fmt: skip
    assert ids(await search(backend, "red")) == ["p-2"]
    # a delete wins over every change of its version or older, even one arriving later
    assert await backend.delete(PRODUCT, "p-1", 2)
    assert await backend.upsert([v2]) == 0
    assert ids(await search(backend, "lamp")) == []
    assert not await backend.delete(PRODUCT, "p-1", 1)
    # a delete that arrives before the document's creation keeps it out
    assert await backend.delete(PRODUCT, "p-3", 1)
    assert await backend.upsert([Document(PRODUCT, "p-3", 1, "Ghost lamp")]) == 0
    assert ids(await search(backend, "ghost")) == []


async def test_suggest_completes_words_of_names(backend: SearchBackend) -> None:
    await backend.upsert(PRODUCTS)
    await backend.refresh()
    suggestions = await backend.suggest(SuggestQuery("lap", viewer=None))
    assert [s.text for s in suggestions] == ["Laptop Stand", "Laptop Pro 14"]
    assert [s.id for s in await backend.suggest(SuggestQuery("head", viewer=None))] == ["p-phones"]
    assert len(await backend.suggest(SuggestQuery("l", viewer=None, limit=1))) == 1
    assert await backend.suggest(SuggestQuery("lap", viewer=None, types=frozenset({TASK}))) == []
    assert await backend.suggest(SuggestQuery("100%_", viewer=None)) == []


async def test_clear_forgets_one_type_or_everything(backend: SearchBackend) -> None:
    await backend.upsert([*PRODUCTS, PROJECT_DOC])
    await backend.set_members("proj-1", [ALICE], version=1)
    await backend.clear(PRODUCT)
    assert ids(await search(backend, "laptop", ALICE)) == ["proj-1"]
    await backend.clear()
    assert ids(await search(backend, "laptop", ALICE)) == []
    assert await backend.projects_of(ALICE) == frozenset()
    # a rebuild after clear() may write any version again
    assert await backend.upsert([Document(PRODUCT, "p-laptop", 1, "Laptop")]) == 1
