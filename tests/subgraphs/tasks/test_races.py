"""Writes that depend on a project's members or status, racing the writes that change them.

The invariants: no open task is assigned to someone who is not a member of its project, and no
task is added to a project after it was archived. Each racing operation either happens before
the other or fails with BAD_USER_INPUT after it.

Two kinds of test. Storms: many concurrent pairs, each operation on its own session and
connection, on PostgreSQL and SQLite and over HTTP; without the project locks about half the
pairs break an invariant in every run. Forced: the dependent write is paused between its checks
and its first write while a racer that cannot wait for locks tries to commit; it must be
refused (without the locks it commits, every time).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from db.engine import session_factory
from subgraphs.common.auth import Caller
from subgraphs.common.errors import BadUserInput, ErrorCode
from subgraphs.tasks.domain import (
    OPEN_STATUSES,
    NewProject,
    NewTask,
    ProjectChanges,
    TaskChanges,
)
from subgraphs.tasks.models import Project, ProjectMember, Task
from subgraphs.tasks.service import projects, tasks
from subgraphs.tasks.service.unit import Unit
from tests.subgraphs.tasks.conftest import TasksApi
from tests.utils.graphql import Result

OWNER = "owner"

CREATE_TASK = """
mutation ($projectId: ID!, $title: String!) {
  createTask(input: {projectId: $projectId, title: $title}) { id }
}
"""
ASSIGN = "mutation ($id: ID!, $to: ID) { assignTask(id: $id, assigneeId: $to) { id } }"
REMOVE = """
mutation ($project: ID!, $member: ID!) {
  removeProjectMember(projectId: $project, userId: $member) { id }
}
"""
ARCHIVE = "mutation ($id: ID!) { archiveProject(id: $id) { id } }"
ROUNDS = 3
PAIRS = 12


async def _non_member_assignments(sessions: async_sessionmaker[AsyncSession]) -> list[Any]:
    """Open tasks whose assignee is not a member of the task's project."""
    async with sessions() as session:
        member = select(ProjectMember.user_id).where(
            ProjectMember.project_id == Task.project_id,
            ProjectMember.user_id == Task.assignee_id,
        )
        rows = await session.execute(
            select(Task.id, Task.assignee_id).where(
                Task.assignee_id.is_not(None),
                Task.status.in_(OPEN_STATUSES),
                ~member.exists(),
            )
        )
        return list(rows.all())


def _is_refusal(outcome: object, words: str) -> bool:
    return (
        isinstance(outcome, BadUserInput)
        and outcome.extensions["code"] == ErrorCode.BAD_USER_INPUT
        and words in outcome.message
    )


async def _watch_task_commits(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Record, as each task insert commits, the status its project has at that moment.

    A deferred constraint trigger runs at COMMIT, and its SELECT (READ COMMITTED) sees what
    is committed then: a task that commits into an archived project shows up as ARCHIVED.
    """
    async with sessions() as session:
        for statement in (
            "CREATE TABLE task_commits (task_id varchar(36) PRIMARY KEY, "
            "project_status varchar(16))",
            "CREATE FUNCTION record_task_commit() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN INSERT INTO task_commits SELECT NEW.id, status FROM projects "
            "WHERE id = NEW.project_id; RETURN NULL; END $$",
            "CREATE CONSTRAINT TRIGGER record_task_commit AFTER INSERT ON tasks "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION record_task_commit()",
        ):
            await session.execute(text(statement))
        await session.commit()


async def _task_commits(sessions: async_sessionmaker[AsyncSession]) -> dict[str, str]:
    async with sessions() as session:
        rows = await session.execute(text("SELECT task_id, project_status FROM task_commits"))
        return {task_id: status for task_id, status in rows.all()}


# -- storms: many concurrent pairs --------------------------------------------------------------


async def test_assign_racing_member_removal_never_leaves_a_non_member_assigned(
    unit_for: Callable[..., Unit], sessions: async_sessionmaker[AsyncSession]
) -> None:
    for round_ in range(ROUNDS):
        await _assign_racing_removal(unit_for, sessions, round_)


async def _assign_racing_removal(
    unit_for: Callable[..., Unit], sessions: async_sessionmaker[AsyncSession], round_: int
) -> None:
    members = [f"member-{i}" for i in range(PAIRS)]
    project = await projects.create_project(
        unit_for(OWNER), NewProject(f"contested {round_}", member_ids=tuple(members))
    )
    task_ids = [
        (await tasks.create_task(unit_for(OWNER), NewTask(project.id, f"task {i}"))).id
        for i in range(PAIRS)
    ]

    operations: list[Awaitable[object]] = []
    for task_id, member in zip(task_ids, members, strict=True):
        operations.append(tasks.assign_task(unit_for(OWNER), task_id, member))
        operations.append(projects.remove_member(unit_for(OWNER), project.id, member))
    outcomes = await asyncio.gather(*operations, return_exceptions=True)

    assigns, removals = outcomes[0::2], outcomes[1::2]
    assert all(isinstance(outcome, Project) for outcome in removals), removals
    assert all(
        isinstance(outcome, Task) or _is_refusal(outcome, "not a member") for outcome in assigns
    ), assigns
    assert await _non_member_assignments(sessions) == []


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_create_racing_archive_never_adds_a_task_to_an_archived_project(
    unit_for: Callable[..., Unit], sessions: async_sessionmaker[AsyncSession]
) -> None:
    await _watch_task_commits(sessions)
    for round_ in range(ROUNDS):
        await _create_racing_archive(unit_for, sessions, round_)


async def _create_racing_archive(
    unit_for: Callable[..., Unit], sessions: async_sessionmaker[AsyncSession], round_: int
) -> None:
    contested = [
        await projects.create_project(unit_for(OWNER), NewProject(f"contested {round_}.{i}"))
        for i in range(PAIRS)
    ]

    operations: list[Awaitable[object]] = []
    for project in contested:
        operations.append(tasks.create_task(unit_for(OWNER), NewTask(project.id, "late")))
        operations.append(projects.archive_project(unit_for(OWNER), project.id))
    outcomes = await asyncio.gather(*operations, return_exceptions=True)

    creates, archives = outcomes[0::2], outcomes[1::2]
    assert all(isinstance(outcome, Project) for outcome in archives), archives
    assert all(
        isinstance(outcome, Task) or _is_refusal(outcome, "archived") for outcome in creates
    ), creates
    created = {outcome.id for outcome in creates if isinstance(outcome, Task)}
    commits = await _task_commits(sessions)
    assert created <= set(commits)
    # Every create that succeeded committed while its project was still active.
    assert {task_id: commits[task_id] for task_id in created} == dict.fromkeys(created, "ACTIVE")


async def test_over_http_racing_writes_succeed_before_or_fail_with_bad_user_input(
    api: TasksApi, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Clients see the same: assignments racing removals, creates racing an archive; each
    mutation either succeeds or fails with BAD_USER_INPUT, and no invariant breaks."""
    members = [f"member-{i}" for i in range(PAIRS)]
    created = await api.ok(
        "mutation ($input: CreateProjectInput!) { createProject(input: $input) { id } }",
        {"input": {"name": "contested", "memberIds": members}},
        user=OWNER,
    )
    project_id = created["createProject"]["id"]
    task_ids = []
    for i in range(PAIRS):
        data = await api.ok(CREATE_TASK, {"projectId": project_id, "title": f"t{i}"}, user=OWNER)
        task_ids.append(data["createTask"]["id"])

    requests: list[Awaitable[Result]] = []
    for task_id, member in zip(task_ids, members, strict=True):
        requests.append(api.run(ASSIGN, {"id": task_id, "to": member}, user=OWNER))
        requests.append(api.run(REMOVE, {"project": project_id, "member": member}, user=OWNER))
    for i in range(PAIRS):
        requests.append(
            api.run(CREATE_TASK, {"projectId": project_id, "title": f"late {i}"}, user=OWNER)
        )
    requests.append(api.run(ARCHIVE, {"id": project_id}, user=OWNER))
    results = await asyncio.gather(*requests)

    removals, archive = results[1 : 2 * PAIRS : 2], results[-1]
    assert all(r.errors == [] for r in [*removals, archive]), [*removals, archive]
    assert {code for r in results for code in r.codes} <= {"BAD_USER_INPUT"}
    assert await _non_member_assignments(sessions) == []
    late = [r.data["createTask"]["id"] for r in results[2 * PAIRS : -1] if r.errors == []]
    async with sessions() as session:
        archived_at = await session.scalar(select(Project.archived_at))
        created_at = dict((await session.execute(select(Task.id, Task.created_at))).all())
    assert archived_at is not None
    assert all(created_at[task_id] <= archived_at for task_id in late)


# -- forced: the racing write tries to commit between the other write's checks and its write -----

BOB, CAROL = "bob", "carol"


@dataclass(frozen=True)
class Scene:
    project_id: str
    task_id: str


Step = Callable[[Unit, Scene], Awaitable[object]]


def _assign_to_bob(unit: Unit, scene: Scene) -> Awaitable[object]:
    return tasks.assign_task(unit, scene.task_id, BOB)


def _create_for_bob(unit: Unit, scene: Scene) -> Awaitable[object]:
    return tasks.create_task(unit, NewTask(scene.project_id, "new", assignee_id=BOB))


def _create(unit: Unit, scene: Scene) -> Awaitable[object]:
    return tasks.create_task(unit, NewTask(scene.project_id, "new"))


def _update(unit: Unit, scene: Scene) -> Awaitable[object]:
    return tasks.update_task(unit, scene.task_id, 1, TaskChanges(title="renamed"))


def _complete(unit: Unit, scene: Scene) -> Awaitable[object]:
    return tasks.complete_task(unit, scene.task_id)


def _delete_task(unit: Unit, scene: Scene) -> Awaitable[object]:
    return tasks.delete_task(unit, scene.task_id)


def _add_carol(unit: Unit, scene: Scene) -> Awaitable[object]:
    return projects.add_member(unit, scene.project_id, CAROL)


def _rename_project(unit: Unit, scene: Scene) -> Awaitable[object]:
    return projects.update_project(unit, scene.project_id, ProjectChanges(name="renamed"))


def _remove_bob(unit: Unit, scene: Scene) -> Awaitable[object]:
    return projects.remove_member(unit, scene.project_id, BOB)


def _archive(unit: Unit, scene: Scene) -> Awaitable[object]:
    return projects.archive_project(unit, scene.project_id)


def _delete_project(unit: Unit, scene: Scene) -> Awaitable[object]:
    return projects.delete_project(unit, scene.project_id)


@contextlib.asynccontextmanager
async def _impatient_units(database_url: str) -> AsyncIterator[Callable[[], Unit]]:
    """Units acting as the owner on an engine whose writes never wait for a lock: a write that
    would have to wait fails at once (SQLite: no busy timeout; PostgreSQL: 1 ms lock_timeout).
    """
    if database_url.startswith("sqlite"):
        options: dict[str, Any] = {"connect_args": {"timeout": 0}}
    else:
        options = {"connect_args": {"server_settings": {"lock_timeout": "1"}}}
    engine = create_async_engine(database_url, **options)
    sessions = session_factory(engine)
    opened: list[AsyncSession] = []

    def make() -> Unit:
        opened.append(sessions())
        return Unit(opened[-1], Caller(OWNER, frozenset({"USER"})))

    try:
        yield make
    finally:
        for session in opened:
            await session.close()
        await engine.dispose()


def _run_before_first_write(unit: Unit, racer: Callable[[], Awaitable[None]]) -> None:
    """Run `racer` once, when the unit has made its checks but sent no write yet: before its
    first explicit flush or its commit, whichever comes first."""
    ran = False
    real_flush, real_commit = unit.session.flush, unit.commit

    async def race_once() -> None:
        nonlocal ran
        if not ran:
            ran = True
            await racer()

    async def flush(*args: Any, **kwargs: Any) -> None:
        await race_once()
        await real_flush(*args, **kwargs)

    async def commit() -> None:
        await race_once()
        await real_commit()

    unit.session.flush = flush  # type: ignore[method-assign]
    unit.commit = commit  # type: ignore[method-assign]


@pytest.mark.parametrize(
    ("write", "racer"),
    [
        (_assign_to_bob, _remove_bob),
        (_create_for_bob, _remove_bob),
        (_create, _archive),
        (_update, _archive),
        (_complete, _archive),
        (_delete_task, _archive),
        (_add_carol, _archive),
        (_rename_project, _archive),
        (_create, _delete_project),
        (_add_carol, _delete_project),
    ],
    ids=lambda step: step.__name__.strip("_"),
)
async def test_no_project_write_commits_between_a_dependent_writes_checks_and_its_write(
    database_url: str,
    unit_for: Callable[..., Unit],
    sessions: async_sessionmaker[AsyncSession],
    write: Step,
    racer: Step,
) -> None:
    """The racer (removing a member, archiving or deleting the project) changes what the write
    checked. Sent between the write's checks and its write, it must wait for the write to
    commit: an impatient racer is refused; the write succeeds; the racer then succeeds."""
    project = await projects.create_project(unit_for(OWNER), NewProject("P", member_ids=(BOB,)))
    task = await tasks.create_task(unit_for(OWNER), NewTask(project.id, "t"))
    scene = Scene(project.id, task.id)
    attempts: list[object] = []

    async with _impatient_units(database_url) as impatient:

        async def race() -> None:
            try:
                attempts.append(await racer(impatient(), scene))
            except DBAPIError as error:
                attempts.append(error)

        writer = unit_for(OWNER)
        _run_before_first_write(writer, race)
        written = await write(writer, scene)

    assert len(attempts) == 1
    assert isinstance(attempts[0], DBAPIError), (
        f"{racer.__name__} committed between the checks and the write of {write.__name__}"
    )
    assert "lock" in str(attempts[0])
    assert not isinstance(written, Exception)
    await racer(unit_for(OWNER), scene)
    assert await _non_member_assignments(sessions) == []
