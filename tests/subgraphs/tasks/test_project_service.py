"""Project rules: ownership, membership, archiving, deleting (service layer, both backends)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from subgraphs.common.errors import BadUserInput, Forbidden, NotFound
from subgraphs.tasks.domain import NewProject, NewTask, ProjectChanges, ProjectStatus
from subgraphs.tasks.models import Project, ProjectMember, Task
from subgraphs.tasks.service import projects, tasks
from subgraphs.tasks.service.unit import Unit
from tests.subgraphs.tasks.conftest import RecordingEvents

ALICE, BOB, CAROL = "alice", "bob", "carol"


async def test_creator_owns_and_is_member(
    unit_for: Callable[..., Unit], recorded: RecordingEvents
) -> None:
    project = await projects.create_project(
        unit_for(ALICE), NewProject("  Launch  ", "the plan", (BOB, BOB, ALICE))
    )
    assert (project.name, project.owner_id, project.status) == ("Launch", ALICE, "ACTIVE")
    unit = unit_for(ALICE)
    members = (await unit.session.scalars(select(ProjectMember.user_id))).all()
    assert sorted(members) == [ALICE, BOB]
    assert recorded.types() == ["project.created"]
    assert recorded.published[0].payload["member_ids"] == [ALICE, BOB]
    assert recorded.published[0].actor_id == ALICE


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
async def test_bad_name_is_rejected_and_nothing_written(
    unit_for: Callable[..., Unit], recorded: RecordingEvents, name: str
) -> None:
    with pytest.raises(BadUserInput, match="name"):
        await projects.create_project(unit_for(ALICE), NewProject(name))
    unit = unit_for(ALICE)
    assert await unit.session.scalar(select(func.count()).select_from(Project)) == 0
    assert recorded.published == []


async def test_only_owner_changes_project(unit_for: Callable[..., Unit]) -> None:
    project = await projects.create_project(unit_for(ALICE), NewProject("P", member_ids=(BOB,)))
    for action in (
        projects.update_project(unit_for(BOB), project.id, ProjectChanges(name="mine")),
        projects.archive_project(unit_for(BOB), project.id),
        projects.delete_project(unit_for(BOB), project.id),
        projects.add_member(unit_for(BOB), project.id, CAROL),
        projects.remove_member(unit_for(BOB), project.id, ALICE),
    ):
        with pytest.raises(Forbidden, match="owner"):
            await action
    # A stranger cannot tell the project exists.
    with pytest.raises(NotFound):
        await projects.update_project(unit_for(CAROL), project.id, ProjectChanges(name="x"))
    renamed = await projects.update_project(
        unit_for(ALICE), project.id, ProjectChanges(name="Renamed", description="d")
    )
    assert (renamed.name, renamed.description) == ("Renamed", "d")


async def test_admin_reads_but_cannot_change(unit_for: Callable[..., Unit]) -> None:
    project = await projects.create_project(unit_for(ALICE), NewProject("P"))
    with pytest.raises(Forbidden):
        await projects.archive_project(unit_for("root", admin=True), project.id)
    with pytest.raises(Forbidden, match="members"):
        await tasks.create_task(unit_for("root", admin=True), NewTask(project.id, "t"))


async def test_archive_is_idempotent_and_freezes_tasks(
    unit_for: Callable[..., Unit], recorded: RecordingEvents
) -> None:
    project = await projects.create_project(unit_for(ALICE), NewProject("P"))
    task = await tasks.create_task(unit_for(ALICE), NewTask(project.id, "t"))
    archived = await projects.archive_project(unit_for(ALICE), project.id)
    again = await projects.archive_project(unit_for(ALICE), project.id)
    assert archived.status is again.status is ProjectStatus.ARCHIVED
    assert recorded.types().count("project.archived") == 1
    with pytest.raises(BadUserInput, match="archived"):
        await tasks.complete_task(unit_for(ALICE), task.id)
    with pytest.raises(BadUserInput, match="archived"):
        await tasks.create_task(unit_for(ALICE), NewTask(project.id, "t2"))
    with pytest.raises(BadUserInput, match="archived"):
        await projects.update_project(unit_for(ALICE), project.id, ProjectChanges(name="n"))
    restored = await projects.restore_project(unit_for(ALICE), project.id)
    assert restored.status is ProjectStatus.ACTIVE and restored.archived_at is None
    assert (await tasks.complete_task(unit_for(ALICE), task.id)).status == "DONE"


async def test_delete_removes_tasks_and_members(unit_for: Callable[..., Unit]) -> None:
    project = await projects.create_project(unit_for(ALICE), NewProject("P", member_ids=(BOB,)))
    await tasks.create_task(unit_for(BOB), NewTask(project.id, "t"))
    assert await projects.delete_project(unit_for(ALICE), project.id) == project.id
    unit = unit_for(ALICE)
    for model in (Project, ProjectMember, Task):
        assert await unit.session.scalar(select(func.count()).select_from(model)) == 0
    with pytest.raises(NotFound):
        await projects.delete_project(unit_for(ALICE), project.id)


async def test_members_come_and_go(
    unit_for: Callable[..., Unit], recorded: RecordingEvents
) -> None:
    project = await projects.create_project(unit_for(ALICE), NewProject("P"))
    await projects.add_member(unit_for(ALICE), project.id, BOB)
    await projects.add_member(unit_for(ALICE), project.id, BOB)  # already a member: no change
    task = await tasks.create_task(unit_for(BOB), NewTask(project.id, "t", assignee_id=BOB))
    done = await tasks.create_task(unit_for(BOB), NewTask(project.id, "d", assignee_id=BOB))
    done = await tasks.complete_task(unit_for(BOB), done.id)
    with pytest.raises(BadUserInput, match="owner"):
        await projects.remove_member(unit_for(ALICE), project.id, ALICE)
    # Bob leaves on his own: his open task is unassigned (new version), his done one is kept.
    await projects.remove_member(unit_for(BOB), project.id, BOB)
    unit = unit_for(ALICE)
    reloaded = {t.id: t for t in (await unit.session.scalars(select(Task))).all()}
    assert reloaded[task.id].assignee_id is None
    assert reloaded[task.id].version == task.version + 1
    assert reloaded[done.id].assignee_id == BOB
    assert recorded.published[-1].type == "task.assigned"
    assert recorded.published[-1].payload["previous_assignee_id"] == BOB
    with pytest.raises(NotFound):
        await tasks.create_task(unit_for(BOB), NewTask(project.id, "after leaving"))
