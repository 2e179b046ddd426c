"""Loading a project or task for a caller, with the permission checks mutations need.

Someone who cannot see a project (not a member) gets NOT_FOUND, so ids of other people's
projects reveal nothing; a member who may see but not change it gets FORBIDDEN.

A write locks the project before anything is read (`locks.py`), so the checks made here still
hold when the write commits.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, select

from subgraphs.common.errors import BadUserInput, Forbidden, NotFound
from subgraphs.tasks.domain import ProjectStatus
from subgraphs.tasks.models import Project, ProjectMember, Task
from subgraphs.tasks.service.locks import ProjectLock, lock_project, lock_project_of_task
from subgraphs.tasks.service.queries import visible_projects, visible_tasks
from subgraphs.tasks.service.unit import Unit


async def project_for(
    unit: Unit,
    project_id: str,
    *,
    owner_only: str | None = None,
    writable: bool = False,
    lock: ProjectLock | None = None,
) -> Project:
    """The project, or NOT_FOUND; `owner_only` names the action the owner alone may take.

    `writable`: the caller is about to write the project's tasks (a SHARED lock at least);
    `lock`: hold the project in that mode until the transaction ends.
    """
    if writable and lock is None:
        lock = ProjectLock.SHARED
    if lock is not None:
        await lock_project(unit, project_id, lock)
    project = (
        await unit.session.execute(
            select(Project)
            .where(Project.id == project_id, visible_projects(unit.caller))
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if project is None:
        raise NotFound(f"project {project_id} not found")
    if owner_only is not None and project.owner_id != unit.caller.user_id:
        raise Forbidden(f"only the project owner can {owner_only}")
    if writable:
        if project.status is ProjectStatus.ARCHIVED:
            raise BadUserInput(f"project {project_id} is archived; its tasks are read-only")
        await _require_caller_member(unit, project_id)
    return project


@dataclass(frozen=True)
class TaskInProject:
    task: Task
    project_owner_id: str
    project_status: ProjectStatus


async def task_for(unit: Unit, task_id: str, *, writable: bool = False) -> TaskInProject:
    """The task with its project's owner and status (one query), or NOT_FOUND.

    `writable`: the caller is about to write the task, so its project is locked SHARED first.
    """
    if writable:
        await lock_project_of_task(unit, task_id, ProjectLock.SHARED)
    row = (
        await unit.session.execute(
            select(Task, Project.owner_id, Project.status)
            .join(Project, Project.id == Task.project_id)
            .where(Task.id == task_id, visible_tasks(unit.caller))
            .execution_options(populate_existing=True)
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"task {task_id} not found")
    found = TaskInProject(task=row[0], project_owner_id=row[1], project_status=row[2])
    if writable:
        if found.project_status is ProjectStatus.ARCHIVED:
            raise BadUserInput(
                f"project {found.task.project_id} is archived; its tasks are read-only"
            )
        await _require_caller_member(unit, found.task.project_id)
    return found


async def is_member(unit: Unit, project_id: str, user_id: str) -> bool:
    statement = select(
        exists().where(ProjectMember.project_id == project_id, ProjectMember.user_id == user_id)
    )
    return bool((await unit.session.execute(statement)).scalar())


async def require_member(unit: Unit, project_id: str, user_id: str, role: str) -> None:
    if not await is_member(unit, project_id, user_id):
        raise BadUserInput(f"the {role} {user_id} is not a member of project {project_id}")


async def _require_caller_member(unit: Unit, project_id: str) -> None:
    # Admins read every project, but only members change one (others are members already).
    if unit.caller.is_admin and not await is_member(unit, project_id, unit.caller.user_id):
        raise Forbidden("only project members can change a project's tasks")
