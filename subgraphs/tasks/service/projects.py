"""Project mutations: create, update, archive, restore, delete; add and remove members.

Every function is one unit of work (`async with unit:`): it commits with the events it
emitted, or rolls both back. Only the owner changes a project or its members. Each one locks
the project EXCLUSIVE before reading it, so it never interleaves with another write of the
project or of its tasks (`locks.py`).
"""

from __future__ import annotations

from sqlalchemy import delete, select

from subgraphs.common.errors import BadUserInput
from subgraphs.tasks import events
from subgraphs.tasks.domain import OPEN_STATUSES, NewProject, ProjectChanges, ProjectStatus
from subgraphs.tasks.models import Project, ProjectMember, Task
from subgraphs.tasks.service import validation
from subgraphs.tasks.service.access import is_member, project_for
from subgraphs.tasks.service.locks import ProjectLock
from subgraphs.tasks.service.unit import Unit


async def create_project(unit: Unit, new: NewProject) -> Project:
    name = validation.required_text(new.name, "name", validation.MAX_NAME)
    description = validation.description(new.description)
    owner = unit.caller.user_id
    member_ids = [owner]
    for member in new.member_ids:
        member = validation.user_id(member, "memberIds")
        if member not in member_ids:
            member_ids.append(member)
    if len(member_ids) > validation.MAX_MEMBERS_AT_CREATION:
        raise BadUserInput(f"at most {validation.MAX_MEMBERS_AT_CREATION} members at creation")
    now = unit.now()
    project = Project(
        name=name,
        description=description,
        owner_id=owner,
        status=ProjectStatus.ACTIVE,
        created_at=now,
        updated_at=now,
    )
    async with unit:
        unit.session.add(project)
        await unit.session.flush()
        unit.session.add_all(
            ProjectMember(project_id=project.id, user_id=member, added_at=now)
            for member in member_ids
        )
        events.emit_project(unit, events.PROJECT_CREATED, project, sorted(member_ids))
    return project


async def update_project(unit: Unit, project_id: str, changes: ProjectChanges) -> Project:
    async with unit:
        project = await project_for(
            unit, project_id, owner_only="update it", lock=ProjectLock.EXCLUSIVE
        )
        if project.status is ProjectStatus.ARCHIVED:
            raise BadUserInput(f"project {project_id} is archived; restore it before editing")
        if changes.name is not None:
            project.name = validation.required_text(changes.name, "name", validation.MAX_NAME)
        if changes.description is not None:
            project.description = validation.description(changes.description)
        project.updated_at = unit.now()
        await _emit(unit, events.PROJECT_UPDATED, project)
    return project


async def archive_project(unit: Unit, project_id: str) -> Project:
    """Archive (tasks become read-only); archiving an archived project changes nothing."""
    async with unit:
        project = await project_for(
            unit, project_id, owner_only="archive it", lock=ProjectLock.EXCLUSIVE
        )
        if project.status is ProjectStatus.ACTIVE:
            now = unit.now()
            project.status = ProjectStatus.ARCHIVED
            project.archived_at = now
            project.updated_at = now
            await _emit(unit, events.PROJECT_ARCHIVED, project)
    return project


async def restore_project(unit: Unit, project_id: str) -> Project:
    async with unit:
        project = await project_for(
            unit, project_id, owner_only="restore it", lock=ProjectLock.EXCLUSIVE
        )
        if project.status is ProjectStatus.ARCHIVED:
            project.status = ProjectStatus.ACTIVE
            project.archived_at = None
            project.updated_at = unit.now()
            await _emit(unit, events.PROJECT_RESTORED, project)
    return project


async def delete_project(unit: Unit, project_id: str) -> str:
    """Delete the project with its tasks and members; returns its id."""
    async with unit:
        project = await project_for(
            unit, project_id, owner_only="delete it", lock=ProjectLock.EXCLUSIVE
        )
        payload = events.project_payload(project, await _member_ids(unit, project_id))
        # Explicit deletes: SQLite enforces ON DELETE CASCADE only with a pragma.
        await unit.session.execute(delete(Task).where(Task.project_id == project_id))
        await unit.session.execute(
            delete(ProjectMember).where(ProjectMember.project_id == project_id)
        )
        await unit.session.execute(delete(Project).where(Project.id == project_id))
        unit.session.expunge(project)
        unit.emit(
            events.PROJECT_DELETED, payload, aggregate_id=project_id, version=payload["version"]
        )
    return project_id


async def add_member(unit: Unit, project_id: str, user_id: str) -> Project:
    """Add a member; adding someone who is already a member changes nothing."""
    user_id = validation.user_id(user_id, "userId")
    async with unit:
        project = await project_for(
            unit, project_id, owner_only="add members", lock=ProjectLock.EXCLUSIVE
        )
        if project.status is ProjectStatus.ARCHIVED:
            raise BadUserInput(f"project {project_id} is archived; restore it before editing")
        if not await is_member(unit, project_id, user_id):
            unit.session.add(
                ProjectMember(project_id=project_id, user_id=user_id, added_at=unit.now())
            )
            project.updated_at = unit.now()
            await _emit(unit, events.PROJECT_MEMBER_ADDED, project, user_id=user_id)
    return project


async def remove_member(unit: Unit, project_id: str, user_id: str) -> Project:
    """Remove a member (the owner, or a member leaving); their open tasks become unassigned."""
    async with unit:
        leaving = user_id == unit.caller.user_id
        project = await project_for(
            unit,
            project_id,
            owner_only=None if leaving else "remove members",
            lock=ProjectLock.EXCLUSIVE,
        )
        if user_id == project.owner_id:
            raise BadUserInput("the owner cannot be removed from their project", field="userId")
        removed = await unit.session.execute(
            delete(ProjectMember).where(
                ProjectMember.project_id == project_id, ProjectMember.user_id == user_id
            )
        )
        if removed.rowcount:  # type: ignore[attr-defined]
            project.updated_at = unit.now()
            await _emit(unit, events.PROJECT_MEMBER_REMOVED, project, user_id=user_id)
            await _unassign_open_tasks(unit, project_id, user_id)
    return project


async def _unassign_open_tasks(unit: Unit, project_id: str, user_id: str) -> None:
    now = unit.now()
    tasks = (
        await unit.session.scalars(
            select(Task).where(
                Task.project_id == project_id,
                Task.assignee_id == user_id,
                Task.status.in_(OPEN_STATUSES),
            )
        )
    ).all()
    for task in tasks:
        task.assignee_id = None
        task.updated_at = now
    # The flush bumps each task's version, so editors holding the old one get CONFLICT.
    await unit.session.flush()
    for task in tasks:
        events.emit_task(unit, events.TASK_ASSIGNED, task, previous_assignee_id=user_id)


async def _member_ids(unit: Unit, project_id: str) -> list[str]:
    """The project's members, sorted by id (a set; the order carries no meaning)."""
    rows = await unit.session.scalars(
        select(ProjectMember.user_id)
        .where(ProjectMember.project_id == project_id)
        .order_by(ProjectMember.user_id)
    )
    return list(rows)


async def _emit(unit: Unit, event_type: str, project: Project, **extra: str) -> None:
    """Emit a project event with the members as they are after this change."""
    await unit.session.flush()
    members = await _member_ids(unit, project.id)
    events.emit_project(unit, event_type, project, members, **extra)
