"""Task rules: creation, versions and conflicts, assignment, completion, deletion, events."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from subgraphs.common.errors import BadUserInput, Conflict, Forbidden, NotFound
from subgraphs.tasks.domain import NewProject, NewTask, TaskChanges, TaskPriority, TaskStatus
from subgraphs.tasks.models import Project, Task
from subgraphs.tasks.service import projects, tasks
from subgraphs.tasks.service.unit import Unit
from tests.subgraphs.tasks.conftest import FrozenClock, RecordingEvents

ALICE, BOB, CAROL = "alice", "bob", "carol"


@pytest.fixture
async def project(unit_for: Callable[..., Unit]) -> Project:
    return await projects.create_project(unit_for(ALICE), NewProject("P", member_ids=(BOB,)))


async def test_create_task_cleans_input_and_publishes(
    unit_for: Callable[..., Unit], project: Project, recorded: RecordingEvents
) -> None:
    recorded.published.clear()
    task = await tasks.create_task(
        unit_for(BOB),
        NewTask(
            project.id,
            " Write docs ",
            "body",
            TaskPriority.HIGH,
            due_date=date(2026, 3, 9),
            tags=("Docs", "docs ", "v1"),
            assignee_id=ALICE,
        ),
    )
    assert (task.title, task.tags, task.creator_id, task.version) == (
        "Write docs",
        ["docs", "v1"],
        BOB,
        1,
    )
    assert task.completed_at is None
    assert recorded.types() == ["task.created", "task.assigned"]
    created = recorded.published[0].payload
    assert created["task_id"] == task.id and created["assignee_id"] == ALICE
    assert created["due_date"] == "2026-03-09"


@pytest.mark.parametrize(
    ("new", "message"),
    [
        (dict(title=""), "title"),
        (dict(title="t", tags=("",)), "tag"),
        (dict(title="t", tags=tuple(f"t{i}" for i in range(21))), "at most 20"),
        (dict(title="t", assignee_id=CAROL), "not a member"),
        (dict(title="t", description="x" * 10_001), "description"),
    ],
)
async def test_bad_task_input_writes_nothing(
    unit_for: Callable[..., Unit],
    project: Project,
    recorded: RecordingEvents,
    new: dict[str, object],
    message: str,
) -> None:
    recorded.published.clear()
    with pytest.raises(BadUserInput, match=message):
        await tasks.create_task(unit_for(ALICE), NewTask(project.id, **new))  # type: ignore[arg-type]
    unit = unit_for(ALICE)
    assert await unit.session.scalar(select(func.count()).select_from(Task)) == 0
    assert recorded.published == []


async def test_strangers_see_nothing(unit_for: Callable[..., Unit], project: Project) -> None:
    task = await tasks.create_task(unit_for(ALICE), NewTask(project.id, "secret"))
    with pytest.raises(NotFound):
        await tasks.create_task(unit_for(CAROL), NewTask(project.id, "intrusion"))
    with pytest.raises(NotFound):
        await tasks.update_task(unit_for(CAROL), task.id, 1, TaskChanges(title="mine"))
    with pytest.raises(NotFound):
        await tasks.delete_task(unit_for(CAROL), task.id)


async def test_update_checks_version_and_reports_changes(
    unit_for: Callable[..., Unit], project: Project, recorded: RecordingEvents, clock: FrozenClock
) -> None:
    task = await tasks.create_task(unit_for(ALICE), NewTask(project.id, "t"))
    recorded.published.clear()
    clock.advance(hours=1)
    updated = await tasks.update_task(
        unit_for(BOB),
        task.id,
        1,
        TaskChanges(title="t", priority=TaskPriority.URGENT, due_date=date(2026, 4, 1)),
    )
    assert (updated.version, updated.priority, updated.updated_at) == (2, "URGENT", clock())
    assert recorded.published[0].payload["changed"] == ["priority", "due_date"]
    # The version Bob read is now stale: Alice's edit is refused and changes nothing.
    with pytest.raises(Conflict, match="version 1 is stale") as raised:
        await tasks.update_task(unit_for(ALICE), task.id, 1, TaskChanges(title="overwrite"))
    assert raised.value.extensions == {"code": "CONFLICT", "currentVersion": 2}
    # Clearing the due date with the fresh version works.
    cleared = await tasks.update_task(unit_for(ALICE), task.id, 2, TaskChanges(due_date=None))
    assert (cleared.due_date, cleared.title, cleared.version) == (None, "t", 3)
    # Nothing to change: no new version, no event.
    recorded.published.clear()
    same = await tasks.update_task(unit_for(ALICE), task.id, 3, TaskChanges(title="t"))
    assert same.version == 3 and recorded.published == []
    # A write that would change nothing still refuses a stale version: the caller learns that
    # what it read is gone, as a real edit would.
    with pytest.raises(Conflict, match="version 2 is stale"):
        await tasks.update_task(unit_for(ALICE), task.id, 2, TaskChanges(title="t"))


async def test_status_changes_track_completion(
    unit_for: Callable[..., Unit], project: Project, recorded: RecordingEvents, clock: FrozenClock
) -> None:
    task = await tasks.create_task(unit_for(ALICE), NewTask(project.id, "t"))
    clock.advance(days=2)
    done = await tasks.update_task(unit_for(ALICE), task.id, 1, TaskChanges(status=TaskStatus.DONE))
    assert done.completed_at == clock()
    assert recorded.types()[-2:] == ["task.updated", "task.completed"]
    reopened = await tasks.reopen_task(unit_for(BOB), task.id, done.version)
    assert (reopened.status, reopened.completed_at) == ("TODO", None)
    again = await tasks.reopen_task(unit_for(BOB), task.id)
    assert again.version == reopened.version  # already open: unchanged
    clock.advance(days=1)
    completed = await tasks.complete_task(unit_for(BOB), task.id)
    assert (completed.status, completed.completed_at) == ("DONE", clock())
    clock.advance(days=1)
    twice = await tasks.complete_task(unit_for(BOB), task.id)
    assert twice.completed_at == completed.completed_at and twice.version == completed.version
    assert recorded.types().count("task.completed") == 2
    with pytest.raises(Conflict):
        await tasks.complete_task(unit_for(BOB), task.id, version=1)


async def test_assign_only_members(
    unit_for: Callable[..., Unit], project: Project, recorded: RecordingEvents
) -> None:
    task = await tasks.create_task(unit_for(ALICE), NewTask(project.id, "t"))
    with pytest.raises(BadUserInput, match="not a member"):
        await tasks.assign_task(unit_for(ALICE), task.id, CAROL)
    assigned = await tasks.assign_task(unit_for(ALICE), task.id, BOB, version=1)
    assert (assigned.assignee_id, assigned.version) == (BOB, 2)
    assert recorded.published[-1].type == "task.assigned"
    assert recorded.published[-1].payload["previous_assignee_id"] is None
    again = await tasks.assign_task(unit_for(ALICE), task.id, BOB, version=2)
    assert again.version == 2  # already Bob's: no write, no new version
    with pytest.raises(Conflict):
        await tasks.assign_task(unit_for(ALICE), task.id, BOB, version=1)
    unassigned = await tasks.assign_task(unit_for(BOB), task.id, None)
    assert unassigned.assignee_id is None
    assert recorded.published[-1].payload["previous_assignee_id"] == BOB


async def test_delete_by_creator_or_owner(unit_for: Callable[..., Unit], project: Project) -> None:
    by_alice = await tasks.create_task(unit_for(ALICE), NewTask(project.id, "a"))
    by_bob = await tasks.create_task(unit_for(BOB), NewTask(project.id, "b"))
    with pytest.raises(Forbidden):
        await tasks.delete_task(unit_for(BOB), by_alice.id)
    with pytest.raises(Conflict):
        await tasks.delete_task(unit_for(ALICE), by_bob.id, version=7)
    assert await tasks.delete_task(unit_for(ALICE), by_bob.id) == by_bob.id  # owner
    assert await tasks.delete_task(unit_for(ALICE), by_alice.id, version=1) == by_alice.id
    unit = unit_for(ALICE)
    assert await unit.session.scalar(select(func.count()).select_from(Task)) == 0


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_two_concurrent_editors_exactly_one_wins(
    unit_for: Callable[..., Unit], project: Project
) -> None:
    """Both read version 1 and write at the same time; PostgreSQL lets exactly one through."""
    task = await tasks.create_task(unit_for(ALICE), NewTask(project.id, "contested"))
    editors = {ALICE: unit_for(ALICE), BOB: unit_for(BOB)}
    # Hold each editor's write until both have read version 1 and passed the version check,
    # so the database's `UPDATE ... WHERE version = 1` is what has to pick the winner.
    both_checked = asyncio.Barrier(2)
    for unit in editors.values():
        real_flush = unit.session.flush

        async def flush_together(*args: Any, _flush: Any = real_flush, **kwargs: Any) -> None:
            await both_checked.wait()
            await _flush(*args, **kwargs)

        unit.session.flush = flush_together  # type: ignore[method-assign]
    results = await asyncio.gather(
        *(
            tasks.update_task(unit, task.id, 1, TaskChanges(title=f"by {name}"))
            for name, unit in editors.items()
        ),
        return_exceptions=True,
    )
    winners = [r for r in results if isinstance(r, Task)]
    losers = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert "at the same time" in losers[0].message
    unit = unit_for(CAROL, admin=True)
    final = await unit.session.get(Task, task.id)
    assert final is not None
    assert (final.title, final.version) == (winners[0].title, 2)
