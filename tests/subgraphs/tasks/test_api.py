"""The GraphQL API over real HTTP: projects, tasks, stats, and every error code it returns."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select

from subgraphs.tasks.models import Project, Task
from tests.subgraphs.tasks.conftest import RecordingEvents, TasksApi

ALICE = "0190a000-0000-7000-8000-00000000a11c"
BOB = "0190a000-0000-7000-8000-000000000b0b"
CAROL = "0190a000-0000-7000-8000-0000000ca201"

CREATE_PROJECT = """
mutation ($input: CreateProjectInput!) {
  createProject(input: $input) { id name status owner { id } members { id } }
}
"""
CREATE_TASK = """
mutation ($input: CreateTaskInput!) {
  createTask(input: $input) {
    id title status priority dueDate tags version overdue completedAt
    project { id name } creator { id } assignee { id }
  }
}
"""
UPDATE_TASK = """
mutation ($id: ID!, $version: Int!, $input: UpdateTaskInput!) {
  updateTask(id: $id, version: $version, input: $input) { id title status version dueDate }
}
"""


async def make_project(api: TasksApi, owner: str = ALICE, members: tuple[str, ...] = (BOB,)) -> str:
    data = await api.ok(
        CREATE_PROJECT, {"input": {"name": "Launch", "memberIds": list(members)}}, user=owner
    )
    return str(data["createProject"]["id"])


async def make_task(api: TasksApi, project_id: str, user: str = ALICE, **fields: Any) -> dict:  # type: ignore[type-arg]
    data = await api.ok(
        CREATE_TASK, {"input": {"projectId": project_id, "title": "A task", **fields}}, user=user
    )
    return dict(data["createTask"])


async def count(api: TasksApi, model: type[Project] | type[Task]) -> int:
    async with api.db.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_project_and_tasks_round_trip(api: TasksApi) -> None:
    created = await api.ok(
        CREATE_PROJECT,
        {"input": {"name": " Launch ", "description": "Q2", "memberIds": [BOB]}},
        user=ALICE,
    )
    project = created["createProject"]
    assert project["name"] == "Launch" and project["status"] == "ACTIVE"
    assert project["owner"] == {"id": ALICE}
    assert project["members"] == [{"id": ALICE}, {"id": BOB}]
    task = await make_task(
        api,
        project["id"],
        user=BOB,
        title="Ship it",
        priority="URGENT",
        dueDate="2020-01-31",
        tags=["Release"],
        assigneeId=ALICE,
    )
    assert task["status"] == "TODO" and task["priority"] == "URGENT"
    assert task["dueDate"] == "2020-01-31" and task["overdue"] is True
    assert task["tags"] == ["release"] and task["version"] == 1
    assert task["project"] == {"id": project["id"], "name": "Launch"}
    assert task["creator"] == {"id": BOB} and task["assignee"] == {"id": ALICE}

    data = await api.ok(
        """query ($id: ID!) { project(id: $id) {
             tasks(first: 5) { edges { cursor node { title assignee { id } } }
                               pageInfo { hasNextPage endCursor } }
             stats { total overdue completed completionRate averageTimeToCompleteSeconds
                     byStatus { status count } byPriority { priority count } } } }""",
        {"id": project["id"]},
        user=ALICE,
    )
    tasks = data["project"]["tasks"]
    assert [e["node"] for e in tasks["edges"]] == [{"title": "Ship it", "assignee": {"id": ALICE}}]
    assert tasks["pageInfo"] == {"hasNextPage": False, "endCursor": tasks["edges"][0]["cursor"]}
    stats = data["project"]["stats"]
    assert (stats["total"], stats["overdue"], stats["completed"]) == (1, 1, 0)
    assert stats["completionRate"] == 0.0 and stats["averageTimeToCompleteSeconds"] is None
    assert {"status": "TODO", "count": 1} in stats["byStatus"]
    assert {"priority": "URGENT", "count": 1} in stats["byPriority"]

    done = await api.ok(
        "mutation ($id: ID!) { completeTask(id: $id, version: 1) { status completedAt version } }",
        {"id": task["id"]},
        user=BOB,
    )
    assert done["completeTask"]["status"] == "DONE" and done["completeTask"]["version"] == 2
    assert done["completeTask"]["completedAt"] is not None
    stats = (await api.ok("{ taskStats { total completed completionRate overdue } }", user=BOB))[
        "taskStats"
    ]
    assert stats == {"total": 1, "completed": 1, "completionRate": 1.0, "overdue": 0}


async def test_update_task_conflict_and_partial_changes(api: TasksApi) -> None:
    project_id = await make_project(api)
    task = await make_task(api, project_id, dueDate="2030-01-01")
    first = await api.ok(
        UPDATE_TASK, {"id": task["id"], "version": 1, "input": {"title": "Renamed"}}, user=BOB
    )
    assert first["updateTask"] == {
        "id": task["id"],
        "title": "Renamed",
        "status": "TODO",
        "version": 2,
        "dueDate": "2030-01-01",
    }
    stale = await api.run(
        UPDATE_TASK, {"id": task["id"], "version": 1, "input": {"title": "Mine"}}, user=ALICE
    )
    assert stale.codes == ["CONFLICT"]
    assert stale.errors[0]["extensions"]["currentVersion"] == 2
    assert stale.data is None
    cleared = await api.ok(
        UPDATE_TASK, {"id": task["id"], "version": 2, "input": {"dueDate": None}}, user=ALICE
    )
    assert cleared["updateTask"]["dueDate"] is None and cleared["updateTask"]["title"] == "Renamed"
    null_title = await api.run(
        UPDATE_TASK, {"id": task["id"], "version": 3, "input": {"title": None}}, user=ALICE
    )
    assert null_title.codes == ["BAD_USER_INPUT"]


async def test_concurrent_editors_over_http_exactly_one_wins(api: TasksApi) -> None:
    """Eight editors send an update with the version they all read; one write lands."""
    project_id = await make_project(api)
    task = await make_task(api, project_id)
    editors = [ALICE, BOB] * 4
    results = await asyncio.gather(
        *(
            api.run(
                UPDATE_TASK,
                {"id": task["id"], "version": 1, "input": {"title": f"edit {i}"}},
                user=user,
            )
            for i, user in enumerate(editors)
        )
    )
    winners = [r for r in results if not r.errors]
    assert len(winners) == 1
    assert sorted(c for r in results for c in r.codes) == ["CONFLICT"] * 7
    final = await api.ok(
        "query ($id: ID!) { task(id: $id) { title version } }", {"id": task["id"]}, user=ALICE
    )
    assert final["task"] == {"title": winners[0].data["updateTask"]["title"], "version": 2}


async def test_error_codes_and_nothing_written(api: TasksApi, recorded: RecordingEvents) -> None:
    project_id = await make_project(api)
    before = len(recorded.published)
    cases: list[tuple[str, dict[str, Any], str | None, str]] = [
        (CREATE_PROJECT, {"input": {"name": "x"}}, None, "UNAUTHENTICATED"),
        (CREATE_PROJECT, {"input": {"name": "   "}}, ALICE, "BAD_USER_INPUT"),
        (CREATE_TASK, {"input": {"projectId": project_id, "title": ""}}, ALICE, "BAD_USER_INPUT"),
        (
            CREATE_TASK,
            {"input": {"projectId": project_id, "title": "t", "priority": "HUGE"}},
            ALICE,
            "BAD_USER_INPUT",
        ),
        (
            CREATE_TASK,
            {"input": {"projectId": project_id, "title": "t", "assigneeId": CAROL}},
            ALICE,
            "BAD_USER_INPUT",
        ),
        (CREATE_TASK, {"input": {"projectId": project_id, "title": "t"}}, CAROL, "NOT_FOUND"),
        (
            CREATE_TASK,
            {"input": {"projectId": "no-such-project", "title": "t"}},
            ALICE,
            "NOT_FOUND",
        ),
        (
            "mutation ($id: ID!) { archiveProject(id: $id) { id } }",
            {"id": project_id},
            BOB,
            "FORBIDDEN",
        ),
        ("mutation ($id: ID!) { deleteProject(id: $id) }", {"id": project_id}, BOB, "FORBIDDEN"),
        (
            "mutation ($p: ID!, $u: ID!) { addProjectMember(projectId: $p, userId: $u) { id } }",
            {"p": project_id, "u": CAROL},
            BOB,
            "FORBIDDEN",
        ),
        ("{ tasks(first: 101) { edges { cursor } } }", {}, ALICE, "BAD_USER_INPUT"),
        ('{ tasks(after: "garbage") { edges { cursor } } }', {}, ALICE, "BAD_USER_INPUT"),
        ("{ projects(first: -1) { edges { cursor } } }", {}, ALICE, "BAD_USER_INPUT"),
        ('{ taskStats(projectId: "nope") { total } }', {}, ALICE, "NOT_FOUND"),
        ("{ tasks { edges { cursor } } }", {}, None, "UNAUTHENTICATED"),
    ]
    for query, variables, user, code in cases:
        result = await api.run(query, variables, user=user)
        assert result.codes == [code], (query, variables, result.errors)
        assert result.status == 200
        assert "Traceback" not in str(result.errors)
    assert await count(api, Task) == 0 and await count(api, Project) == 1
    assert len(recorded.published) == before
    bad_token = await api.client.execute("{ tasks { edges { cursor } } }", token="not.a.jwt")
    assert bad_token.codes == ["UNAUTHENTICATED"]


async def test_task_lists_filter_order_and_page(api: TasksApi) -> None:
    project_id = await make_project(api)
    for title, priority, status in [
        ("a", "LOW", "TODO"),
        ("b", "URGENT", "TODO"),
        ("c", "HIGH", "DONE"),
        ("d", "URGENT", "IN_PROGRESS"),
        ("e", "MEDIUM", "TODO"),
    ]:
        await make_task(api, project_id, title=title, priority=priority, status=status)
    query = """
    query ($filter: TaskFilter, $order: TaskOrder, $after: String) {
      tasks(filter: $filter, orderBy: $order, first: 2, after: $after) {
        edges { cursor node { title } } pageInfo { hasNextPage hasPreviousPage endCursor }
      }
    }"""

    async def titles(filter: dict[str, Any], order: dict[str, Any]) -> list[str]:
        found: list[str] = []
        after = None
        while True:
            data = await api.ok(query, {"filter": filter, "order": order, "after": after}, user=BOB)
            page = data["tasks"]
            found += [e["node"]["title"] for e in page["edges"]]
            assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
            if not page["pageInfo"]["hasNextPage"]:
                return found
            after = page["pageInfo"]["endCursor"]

    by_priority = {"field": "PRIORITY", "direction": "DESC"}
    assert await titles({}, by_priority) == ["d", "b", "c", "e", "a"]
    assert await titles({"status": ["TODO"]}, {"field": "TITLE", "direction": "ASC"}) == [
        "a",
        "b",
        "e",
    ]
    assert await titles({"priority": "URGENT", "text": "B"}, by_priority) == ["b"]
    assert await titles(
        {"projectId": project_id, "status": ["DONE", "IN_PROGRESS"]},
        {"field": "STATUS", "direction": "ASC"},
    ) == ["d", "c"]
    # A cursor from one ordering is refused by another.
    first = await api.ok(query, {"order": by_priority}, user=BOB)
    other = await api.run(
        query,
        {"order": {"field": "TITLE"}, "after": first["tasks"]["pageInfo"]["endCursor"]},
        user=BOB,
    )
    assert other.codes == ["BAD_USER_INPUT"]


async def test_members_archive_restore_delete(api: TasksApi, recorded: RecordingEvents) -> None:
    project_id = await make_project(api, members=())
    add = "mutation ($p: ID!, $u: ID!) { addProjectMember(projectId: $p, userId: $u) { members { id } } }"  # noqa: E501
    data = await api.ok(add, {"p": project_id, "u": BOB}, user=ALICE)
    assert data["addProjectMember"]["members"] == [{"id": ALICE}, {"id": BOB}]
    task = await make_task(api, project_id, user=BOB, assigneeId=BOB)
    remove = "mutation ($p: ID!, $u: ID!) { removeProjectMember(projectId: $p, userId: $u) { members { id } } }"  # noqa: E501
    data = await api.ok(remove, {"p": project_id, "u": BOB}, user=ALICE)
    assert data["removeProjectMember"]["members"] == [{"id": ALICE}]
    seen = await api.ok(
        "query ($id: ID!) { task(id: $id) { assignee { id } version } }",
        {"id": task["id"]},
        user=ALICE,
    )
    assert seen["task"] == {"assignee": None, "version": 2}
    assert (
        await api.ok("query ($id: ID!) { task(id: $id) { id } }", {"id": task["id"]}, user=BOB)
    )["task"] is None

    archived = await api.ok(
        "mutation ($id: ID!) { archiveProject(id: $id) { status archivedAt } }",
        {"id": project_id},
        user=ALICE,
    )
    assert archived["archiveProject"]["status"] == "ARCHIVED"
    assert recorded.types()[-1] == "project.archived"
    frozen = await api.run(
        "mutation ($id: ID!) { completeTask(id: $id) { id } }", {"id": task["id"]}, user=ALICE
    )
    assert frozen.codes == ["BAD_USER_INPUT"]
    listed = await api.ok(
        "{ projects(filter: {status: [ARCHIVED]}) { edges { node { id } } } }", user=ALICE
    )
    assert listed["projects"]["edges"] == [{"node": {"id": project_id}}]
    restored = await api.ok(
        "mutation ($id: ID!) { restoreProject(id: $id) { status } }", {"id": project_id}, user=ALICE
    )
    assert restored["restoreProject"]["status"] == "ACTIVE"
    deleted = await api.ok(
        "mutation ($id: ID!) { deleteProject(id: $id) }", {"id": project_id}, user=ALICE
    )
    assert deleted["deleteProject"] == project_id
    assert await count(api, Task) == 0 and await count(api, Project) == 0


async def test_stats_and_assigned_tasks_by_assignee(api: TasksApi) -> None:
    project_id = await make_project(api)
    for title, assignee, status in [("a", BOB, "DONE"), ("b", BOB, "TODO"), ("c", ALICE, "TODO")]:
        await make_task(api, project_id, title=title, assigneeId=assignee, status=status)
    stats = await api.ok(
        "query ($p: ID, $a: ID) { taskStats(projectId: $p, assigneeId: $a) "
        "{ total completed completionRate byStatus { status count } } }",
        {"p": project_id, "a": BOB},
        user=ALICE,
    )
    assert stats["taskStats"]["total"] == 2 and stats["taskStats"]["completed"] == 1
    assert stats["taskStats"]["completionRate"] == 0.5
    assert {"status": "DONE", "count": 1} in stats["taskStats"]["byStatus"]
    open_tasks = await api.ok(
        """query ($r: [_Any!]!) { _entities(representations: $r) { ... on User {
             assignedTasks(filter: {status: [TODO, IN_PROGRESS]}, orderBy: {field: TITLE}) {
               edges { node { title assignee { id } } } } } } }""",
        {"r": [{"__typename": "User", "id": BOB}, {"__typename": "User", "id": ALICE}]},
        user=ALICE,
    )
    bob, alice = open_tasks["_entities"]
    assert [e["node"]["title"] for e in bob["assignedTasks"]["edges"]] == ["b"]
    assert [e["node"]["title"] for e in alice["assignedTasks"]["edges"]] == ["c"]


async def test_invalid_documents_fail_every_time_with_the_parse_and_validation_caches(
    api: TasksApi,
) -> None:
    for _ in range(2):  # the second answer comes from the caches and must be the same
        unknown_field = await api.run("{ tasks { edges { node { nope } } } }", user=ALICE)
        assert unknown_field.codes == ["BAD_USER_INPUT"] and unknown_field.data is None
        syntax = await api.run("{ tasks { ", user=ALICE)
        assert syntax.codes == ["BAD_USER_INPUT"]
    valid = await api.run("{ tasks { edges { node { id } } } }", user=ALICE)
    assert valid.errors == [] and valid.data == {"tasks": {"edges": []}}
