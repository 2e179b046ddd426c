"""Reads: pages of tasks and projects the caller may see, one SQL statement per page.

`task_pages` fetches one page per partition (per project or per assignee) in a single
statement with ROW_NUMBER() OVER (PARTITION BY ...), so `projects { tasks(first: 5) }` costs
one query for all projects instead of one per project.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Literal

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from subgraphs.common.auth import Caller
from subgraphs.common.keyset import after_conditions, make_page
from subgraphs.common.pagination import Page, check_first
from subgraphs.tasks.domain import ProjectFilter, ProjectOrder, TaskFilter, TaskOrder
from subgraphs.tasks.models import Project, ProjectMember, Task
from subgraphs.tasks.service.queries import (
    project_conditions,
    project_ordering,
    task_conditions,
    task_ordering,
    visible_projects,
    visible_tasks,
)

Partition = Literal["project", "assignee"]


async def task_page(
    session: AsyncSession,
    caller: Caller,
    task_filter: TaskFilter,
    order: TaskOrder,
    first: int | None,
    after: str | None,
    today: date,
) -> Page[Task]:
    size = check_first(first)
    ordering = task_ordering(order)
    statement = (
        select(Task)
        .where(
            visible_tasks(caller),
            *task_conditions(task_filter, today),
            *after_conditions(ordering, after),
        )
        .order_by(*ordering.order_by())
        .limit(size + 1)
    )
    rows = (await session.scalars(statement)).all() if size else []
    return make_page(rows, size, ordering, after)


async def task_pages(
    session: AsyncSession,
    caller: Caller,
    partition: Partition,
    keys: Sequence[str],
    task_filter: TaskFilter,
    order: TaskOrder,
    first: int | None,
    after: str | None,
    today: date,
) -> dict[str, Page[Task]]:
    """One page per key (a project id or an assignee id), all in one statement."""
    size = check_first(first)
    ordering = task_ordering(order)
    conditions = [*task_conditions(task_filter, today), *after_conditions(ordering, after)]
    column = Task.project_id if partition == "project" else Task.assignee_id
    rows_by_key: dict[str, list[Task]] = defaultdict(list)
    if size and keys:
        position = (
            func.row_number()
            .over(partition_by=column, order_by=ordering.order_by())
            .label("position")
        )
        ranked = (
            select(Task, position)
            .where(column.in_(sorted(set(keys))), visible_tasks(caller), *conditions)
            .subquery()
        )
        task = aliased(Task, ranked)
        statement = (
            select(task)
            .where(ranked.c.position <= size + 1)
            .order_by(getattr(ranked.c, column.key), ranked.c.position)
        )
        for row in (await session.scalars(statement)).all():
            key = row.project_id if partition == "project" else row.assignee_id
            if key is not None:
                rows_by_key[key].append(row)
    return {key: make_page(rows_by_key.get(key, []), size, ordering, after) for key in keys}


async def project_page(
    session: AsyncSession,
    caller: Caller,
    project_filter: ProjectFilter,
    order: ProjectOrder,
    first: int | None,
    after: str | None,
) -> Page[Project]:
    size = check_first(first)
    ordering = project_ordering(order)
    statement = (
        select(Project)
        .where(
            visible_projects(caller),
            *project_conditions(project_filter),
            *after_conditions(ordering, after),
        )
        .order_by(*ordering.order_by())
        .limit(size + 1)
    )
    rows = (await session.scalars(statement)).all() if size else []
    return make_page(rows, size, ordering, after)


async def projects_of_users(
    session: AsyncSession, caller: Caller, user_ids: Sequence[str], project_filter: ProjectFilter
) -> dict[str, list[Project]]:
    """Each user's projects that the caller may also see, oldest membership first."""
    statement = (
        select(ProjectMember.user_id, Project)
        .join(Project, Project.id == ProjectMember.project_id)
        .where(
            ProjectMember.user_id.in_(sorted(set(user_ids))),
            visible_projects(caller),
            *project_conditions(project_filter),
        )
        .order_by(ProjectMember.user_id, Project.created_at, Project.id)
    )
    found: dict[str, list[Project]] = {user_id: [] for user_id in user_ids}
    for user_id, project in (await session.execute(statement)).all():
        found[user_id].append(project)
    return found


async def member_ids(session: AsyncSession, project_ids: Sequence[str]) -> dict[str, list[str]]:
    """Each project's member ids: the owner first, then in the order they joined."""
    owner_first = case((ProjectMember.user_id == Project.owner_id, 0), else_=1)
    statement = (
        select(ProjectMember.project_id, ProjectMember.user_id)
        .join(Project, Project.id == ProjectMember.project_id)
        .where(ProjectMember.project_id.in_(sorted(set(project_ids))))
        .order_by(
            ProjectMember.project_id, owner_first, ProjectMember.added_at, ProjectMember.user_id
        )
    )
    found: dict[str, list[str]] = {project_id: [] for project_id in project_ids}
    for project_id, user_id in (await session.execute(statement)).all():
        found[project_id].append(user_id)
    return found


async def projects_by_id(
    session: AsyncSession, caller: Caller, ids: Sequence[str]
) -> list[Project | None]:
    statement = select(Project).where(Project.id.in_(sorted(set(ids))), visible_projects(caller))
    found = {project.id: project for project in (await session.scalars(statement)).all()}
    return [found.get(i) for i in ids]


async def tasks_by_id(
    session: AsyncSession, caller: Caller, ids: Sequence[str]
) -> list[Task | None]:
    statement = select(Task).where(Task.id.in_(sorted(set(ids))), visible_tasks(caller))
    found = {task.id: task for task in (await session.scalars(statement)).all()}
    return [found.get(i) for i in ids]
