"""Indexing from domain events: through the worker on a real bus, events delivered twice or
out of order leave the index as the events in order would."""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from subgraphs.common.events import Event, EventBus, InProcessEventBus, RedisEventBus
from subgraphs.search import indexer, worker
from subgraphs.search.backends import SearchBackend
from subgraphs.search.documents import SearchQuery
from tests.utils.servers import RedisServer

ALICE, BOB, CAROL = "alice", "bob", "carol"
_prefixes = itertools.count()


def product(id: str, version: int, name: str, **extra: Any) -> dict[str, Any]:
    return {"id": id, "sku": id.upper(), "name": name, "description": "", "categoryId": None,
            "active": True, "createdAt": "2026-01-01T00:00:00+00:00", "version": version,
            **extra}  # fmt: skip


def task(id: str, version: int, title: str, project: str = "proj") -> dict[str, Any]:
    return {"task_id": id, "project_id": project, "title": title, "description": "",
            "tags": ["ops"], "created_at": "2026-01-02T00:00:00+00:00",
            "version": version}  # fmt: skip


def project(version: int, members: list[str], name: str = "Ops") -> dict[str, Any]:
    return {"project_id": "proj", "name": name, "description": "", "owner_id": ALICE,
            "status": "ACTIVE", "member_ids": members, "created_at": "2026-01-01T00:00:00+00:00",
            "version": version}  # fmt: skip


# The history of a few entities, in the order the owners wrote it.
HISTORY: list[tuple[str, dict[str, Any]]] = [
    ("product.created", product("p1", 1, "Desk lamp")),
    ("product.updated", product("p1", 2, "Table lamp")),
    ("product.updated", product("p1", 3, "Floor lamp")),
    ("product.created", product("p2", 1, "Paper lantern")),
    ("product.deleted", {"id": "p2", "sku": "P2", "version": 1}),
    ("product.created", product("p3", 1, "Garden gnome")),
    ("product.updated", product("p3", 2, "Garden gnome", active=False)),
    ("project.created", project(10, [ALICE])),
    ("task.created", task("t1", 1, "Draft report")),
    ("task.updated", task("t1", 2, "Write report")),
    ("project.member_added", project(20, [ALICE, BOB])),
    ("project.member_added", project(30, [ALICE, BOB, CAROL])),
    ("project.member_removed", project(40, [ALICE, CAROL])),
    ("task.created", task("t2", 1, "Rotate keys")),
    ("task.deleted", task("t2", 1, "Rotate keys")),
    ("order.created", {"id": "o1"}),  # not indexed
]


async def names(backend: SearchBackend, text: str, viewer: str | None = None) -> list[str]:
    await backend.refresh()
    found = await backend.search(SearchQuery(text=text, viewer=viewer, facets=False))
    return sorted(hit.id for hit in found.hits)


async def snapshot(backend: SearchBackend) -> dict[str, list[str]]:
    return {
        f"{text}/{viewer}": await names(backend, text, viewer)
        for text in (
            "lamp",
            "desk",
            "table",
            "floor",
            "lantern",
            "gnome",
            "report",
            "draft",
            "rotate",
            "ops",
        )
        for viewer in (None, ALICE, BOB, CAROL)
    }


def events(history: list[tuple[str, dict[str, Any]]]) -> list[Event]:
    return [Event.new(type, payload) for type, payload in history]


async def test_the_history_in_order_gives_the_expected_index(backend: SearchBackend) -> None:
    for event in events(HISTORY):
        await indexer.apply(backend, indexer.changes(event))
    assert await names(backend, "lamp") == ["p1"]
    assert await names(backend, "floor") == ["p1"]
    assert await names(backend, "table") == await names(backend, "desk") == []
    assert await names(backend, "lantern") == []  # deleted
    assert await names(backend, "gnome") == []  # off sale
    assert await names(backend, "report", ALICE) == ["t1"]
    assert await names(backend, "report", CAROL) == ["t1"]
    assert await names(backend, "report", BOB) == []  # removed from the project
    assert await names(backend, "draft", ALICE) == []
    assert await names(backend, "rotate", ALICE) == []


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_duplicates_and_any_order_leave_the_same_index(
    backend: SearchBackend, seed: int
) -> None:
    for event in events(HISTORY):
        await indexer.apply(backend, indexer.changes(event))
    expected = await snapshot(backend)
    await backend.clear()
    shuffled = events(HISTORY) * 2  # every event delivered twice
    random.Random(seed).shuffle(shuffled)
    for event in shuffled:
        await indexer.apply(backend, indexer.changes(event))
    assert await snapshot(backend) == expected


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[EventBus]:
    if request.param == "memory":
        yield InProcessEventBus()
        return
    server: RedisServer = request.getfixturevalue("redis")
    redis_bus = RedisEventBus(server.url(), prefix=f"search-test{next(_prefixes)}:")
    yield redis_bus
    await redis_bus.close()


async def eventually(check: Callable[[], Awaitable[bool]], deadline: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline
    while not await check():
        assert loop.time() < end, "the worker did not get there before the deadline"
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_the_worker_indexes_what_the_bus_delivers(
    backend: SearchBackend, bus: EventBus
) -> None:
    running = asyncio.create_task(worker.index(bus, backend, "worker-1"))
    try:
        late = [HISTORY[2], HISTORY[1], HISTORY[0], HISTORY[2]]  # newest first, then again
        for type, payload in late + HISTORY[7:13]:
            await bus.publish(type, payload)
        await bus.publish("product.created", product("p9", 1, "Sentinel zebra"))

        async def caught_up() -> bool:
            return await names(backend, "zebra") == ["p9"]

        await eventually(caught_up)  # events of one consumer apply in order: all are in
        assert await names(backend, "floor") == ["p1"]
        assert await names(backend, "desk") == []
        assert await names(backend, "report", BOB) == []
        assert await names(backend, "report", CAROL) == ["t1"]
    finally:
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
