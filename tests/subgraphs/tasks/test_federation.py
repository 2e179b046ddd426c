"""The federation contract: SDL, `_entities` without leaks, one SQL statement per batch."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from graphql import parse
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.subgraphs.tasks.conftest import TasksApi
from tests.subgraphs.tasks.test_api import ALICE, BOB, CAROL, make_project, make_task

ENTITIES = """
query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Task { id title project { id } }
    ... on Project { id name }
  }
}
"""


@contextlib.contextmanager
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """Every SQL statement the engine sends while the block runs."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def test_sdl_declares_entities_and_extends_user(api: TasksApi) -> None:
    sdl = (await api.ok("{ _service { sdl } }"))["_service"]["sdl"]
    assert '@link(url: "https://specs.apollo.dev/federation/v2' in sdl
    for entity in ("Project", "Task", "User"):
        assert f'type {entity} @key(fields: "id")' in sdl
    document = parse(sdl)
    names = {d.name.value for d in document.definitions if getattr(d, "name", None)}
    assert {"TaskConnection", "ProjectConnection", "TaskStats", "PageInfo"} <= names
    assert "type PageInfo @shareable" in sdl


async def test_entities_never_leak_to_non_members(api: TasksApi) -> None:
    project_id = await make_project(api, members=(BOB,))
    task = await make_task(api, project_id, title="secret plan")
    representations = [
        {"__typename": "Task", "id": task["id"]},
        {"__typename": "Project", "id": project_id},
    ]
    member = await api.ok(ENTITIES, {"representations": representations}, user=BOB)
    assert member["_entities"] == [
        {"id": task["id"], "title": "secret plan", "project": {"id": project_id}},
        {"id": project_id, "name": "Launch"},
    ]
    for user in (CAROL, None):  # a stranger, then an anonymous caller
        result = await api.run(ENTITIES, {"representations": representations}, user=user)
        assert result.errors == [] and result.data["_entities"] == [None, None]
    # Through User too: Carol asking for Alice's projects and tasks sees nothing of them.
    user_fields = """
    query ($r: [_Any!]!) { _entities(representations: $r) { ... on User {
      projects { id } assignedTasks { edges { node { id } } } taskStats { total } } } }"""
    await api.ok(
        "mutation ($id: ID!, $a: ID) { assignTask(id: $id, assigneeId: $a) { id } }",
        {"id": task["id"], "a": ALICE},
        user=ALICE,
    )
    seen = await api.ok(user_fields, {"r": [{"__typename": "User", "id": ALICE}]}, user=CAROL)
    assert seen["_entities"] == [
        {"projects": [], "assignedTasks": {"edges": []}, "taskStats": {"total": 0}}
    ]
    mine = await api.ok(user_fields, {"r": [{"__typename": "User", "id": ALICE}]}, user=BOB)
    assert mine["_entities"] == [
        {
            "projects": [{"id": project_id}],
            "assignedTasks": {"edges": [{"node": {"id": task["id"]}}]},
            "taskStats": {"total": 1},
        }
    ]


async def test_each_entity_batch_is_one_sql_statement(api: TasksApi) -> None:
    projects = [await make_project(api) for _ in range(3)]
    tasks = [(await make_task(api, projects[i % 3], title=f"t{i}"))["id"] for i in range(6)]
    representations: list[dict[str, str]] = []
    for i in range(60):  # duplicates and unknown ids in the same batch
        representations.append({"__typename": "Task", "id": tasks[i % 6]})
        representations.append({"__typename": "Project", "id": projects[i % 3]})
    representations += [
        {"__typename": "Task", "id": "missing-task"},
        {"__typename": "Project", "id": "missing-project"},
    ]
    query = """query ($r: [_Any!]!) { _entities(representations: $r) {
      ... on Task { id title } ... on Project { id name } } }"""
    with statements(api.db.engine) as seen:
        data = await api.ok(query, {"r": representations}, user=ALICE)
    entities = data["_entities"]
    assert len(entities) == 122
    assert entities[0] == {"id": tasks[0], "title": "t0"}
    assert entities[1] == {"id": projects[0], "name": "Launch"}
    assert entities[120:] == [None, None]
    selects = [s for s in seen if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 2, seen  # one for all tasks, one for all projects
    assert len(seen) == 2, seen


async def test_nested_lists_are_batched_too(api: TasksApi) -> None:
    """`projects { members tasks(first: 2) { ... assignee } stats }` for many users and projects:
    one statement per field kind, whatever the number of projects."""
    projects = [await make_project(api, members=(BOB,)) for _ in range(4)]
    for i, project_id in enumerate(projects * 2):
        await make_task(api, project_id, title=f"t{i}", assigneeId=BOB)
    query = """query ($r: [_Any!]!) { _entities(representations: $r) { ... on User {
      projects { id members { id } stats { total }
                 tasks(first: 1) { edges { node { title project { name } } }
                                   pageInfo { hasNextPage } } }
      assignedTasks(first: 3) { edges { node { id } } }
      taskStats { total } } } }"""
    users = [{"__typename": "User", "id": u} for u in (ALICE, BOB, CAROL)]
    with statements(api.db.engine) as seen:
        data = await api.ok(query, {"r": users}, user=ALICE)
    alice, bob, carol = data["_entities"]
    assert [len(p["members"]) for p in alice["projects"]] == [2, 2, 2, 2]
    assert all(p["stats"]["total"] == 2 for p in bob["projects"])
    assert all(p["tasks"]["pageInfo"]["hasNextPage"] for p in alice["projects"])
    assert len(bob["assignedTasks"]["edges"]) == 3 and bob["taskStats"]["total"] == 8
    assert carol == {"projects": [], "assignedTasks": {"edges": []}, "taskStats": {"total": 0}}
    # One each: users' projects, members, stats per project, task pages, the tasks' projects,
    # assigned-task pages, stats per assignee.
    assert len(seen) == 7, seen
    assert len(seen) == len([s for s in seen if s.lstrip().upper().startswith("SELECT")])
