"""Domain events of the tasks subgraph, through the in-process bus and through real Redis."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from subgraphs.common.events import Event, EventBus, InProcessEventBus, RedisEventBus
from subgraphs.common.settings import Settings
from tests.subgraphs.tasks.conftest import TasksApi, serve_tasks
from tests.subgraphs.tasks.test_api import (
    ALICE,
    BOB,
    CAROL,
    UPDATE_TASK,
    make_project,
    make_task,
)
from tests.utils.servers import RedisServer

TYPES = ["task.created", "task.assigned", "task.updated", "task.completed", "project.archived"]
_prefixes = itertools.count()


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[EventBus]:
    if request.param == "memory":
        yield InProcessEventBus()
        return
    server: RedisServer = request.getfixturevalue("redis")
    redis_bus = RedisEventBus(server.url(), prefix=f"tasks-test{next(_prefixes)}:")
    yield redis_bus
    await redis_bus.close()


@pytest.fixture
async def served(settings: Settings, bus: EventBus) -> AsyncIterator[TasksApi]:
    async with serve_tasks(settings, bus) as api:
        yield api


async def take(stream: AsyncIterator[Event], count: int) -> list[Event]:
    return [await asyncio.wait_for(anext(stream), 10) for _ in range(count)]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_mutations_publish_the_domain_events(served: TasksApi) -> None:
    async with served.events.subscribe(TYPES) as live:
        stream = aiter(live)
        project_id = await make_project(served, members=(BOB,))
        task = await make_task(served, project_id, title="Write", assigneeId=BOB)
        created, assigned = await take(stream, 2)
        await served.ok(UPDATE_TASK, {"id": task["id"], "version": 1,
                                      "input": {"title": "Write more"}}, user=BOB)  # fmt: skip
        (updated,) = await take(stream, 1)
        await served.ok("mutation ($id: ID!) { completeTask(id: $id) { id } }",
                        {"id": task["id"]}, user=BOB)  # fmt: skip
        status_changed, completed = await take(stream, 2)
        await served.ok("mutation ($id: ID!) { archiveProject(id: $id) { id } }",
                        {"id": project_id}, user=ALICE)  # fmt: skip
        (archived,) = await take(stream, 1)

    assert created.type == "task.created" and created.actor_id == ALICE
    assert created.payload["task_id"] == task["id"]
    assert created.payload["project_id"] == project_id
    assert created.payload["title"] == "Write" and created.payload["assignee_id"] == BOB
    assert abs(created.occurred_at - datetime.now(UTC)) < timedelta(minutes=5)
    assert assigned.type == "task.assigned"
    assert assigned.payload["assignee_id"] == BOB
    assert assigned.payload["previous_assignee_id"] is None
    assert updated.type == "task.updated" and updated.actor_id == BOB
    assert updated.payload["changed"] == ["title"] and updated.payload["version"] == 2
    assert status_changed.type == "task.updated" and status_changed.payload["changed"] == ["status"]
    assert completed.type == "task.completed" and completed.payload["status"] == "DONE"
    assert archived.type == "project.archived" and archived.actor_id == ALICE
    assert {k: v for k, v in archived.payload.items() if k not in ("created_at", "version")} == {
        "project_id": project_id, "name": "Launch", "description": "", "owner_id": ALICE,
        "status": "ARCHIVED", "member_ids": sorted([ALICE, BOB]),
    }  # fmt: skip
    assert created.payload["description"] == "" and created.payload["tags"] == []
    assert len({e.id for e in (created, assigned, updated, completed, archived)}) == 5


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_durable_consumers_get_each_event_once(served: TasksApi) -> None:
    """What search and notifications do: a consumer group reads every task event."""
    project_id = await make_project(served, members=(BOB,))
    for title in ("one", "two"):
        await make_task(served, project_id, title=title, assigneeId=BOB)
    consumer = served.events.consume("notifications", "worker-1", ["task.assigned"])
    events = await take(consumer, 2)
    assert [e.payload["title"] for e in events] == ["one", "two"]
    assert all(e.payload["assignee_id"] == BOB for e in events)
    await consumer.aclose()  # type: ignore[attr-defined]


PROJECT_EVENTS = [
    "project.updated",
    "project.member_added",
    "project.member_removed",
    "project.archived",
    "project.restored",
    "project.deleted",
]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_every_project_change_carries_its_members_and_a_growing_version(
    served: TasksApi,
) -> None:
    """What search needs to show a project's tasks to its members only."""
    project_id = await make_project(served, members=(BOB,))
    variables = {"p": project_id, "u": CAROL}
    async with served.events.subscribe(PROJECT_EVENTS) as live:
        stream = aiter(live)
        for mutation in (
            'updateProject(id: $p, input: {name: "Relaunch"}) { id }',
            "addProjectMember(projectId: $p, userId: $u) { id }",
            "removeProjectMember(projectId: $p, userId: $u) { id }",
            "archiveProject(id: $p) { id }",
            "restoreProject(id: $p) { id }",
            "deleteProject(id: $p)",
        ):
            declared = "$p: ID!, $u: ID!" if "$u" in mutation else "$p: ID!"
            await served.ok(f"mutation ({declared}) {{ {mutation} }}", variables, user=ALICE)
        received = await take(stream, 6)
    assert [e.type for e in received] == PROJECT_EVENTS
    two, three = sorted([ALICE, BOB]), sorted([ALICE, BOB, CAROL])
    assert [e.payload["member_ids"] for e in received] == [two, three, two, two, two, two]
    assert received[1].payload["user_id"] == CAROL == received[2].payload["user_id"]
    assert all(e.payload["name"] == "Relaunch" for e in received)
    versions = [e.payload["version"] for e in received]
    assert versions[:5] == sorted(set(versions[:5]))  # every change is newer than the last
    assert versions[5] == versions[4]  # the delete carries the version of the last state
