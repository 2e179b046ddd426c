"""SQL building blocks: who may see what, filters, and the keyset orderings.

Pure expression builders (no IO), shared by the service layer, the statistics and the loaders,
so a list, a count and an `_entities` lookup apply exactly the same visibility rule.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, not_, or_, select, true

from subgraphs.common.auth import Caller
from subgraphs.common.keyset import Ordering, SortKey
from subgraphs.tasks.domain import (
    OPEN_STATUSES,
    PRIORITY_RANK,
    STATUS_RANK,
    Direction,
    ProjectFilter,
    ProjectOrder,
    ProjectOrderField,
    TaskFilter,
    TaskOrder,
    TaskOrderField,
)
from subgraphs.tasks.models import Project, ProjectMember, Task

NO_DUE_DATE = date.min


def member_project_ids(user_id: str) -> Select[str]:
    return select(ProjectMember.project_id).where(ProjectMember.user_id == user_id)


def visible_projects(caller: Caller) -> ColumnElement[bool]:
    """Members (the owner is one) see a project; admins see every project."""
    if caller.is_admin:
        return true()
    return Project.id.in_(member_project_ids(caller.user_id))


def visible_tasks(caller: Caller) -> ColumnElement[bool]:
    """A task is visible exactly when its project is."""
    if caller.is_admin:
        return true()
    return Task.project_id.in_(member_project_ids(caller.user_id))


def overdue(today: date) -> ColumnElement[bool]:
    return and_(
        Task.due_date.is_not(None),
        Task.due_date < today,
        Task.status.in_(OPEN_STATUSES),
    )


def contains_text(text: str, *columns: Any) -> ColumnElement[bool]:
    """Case-insensitive substring match on any of the columns; % and _ are literal."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return or_(*(column.ilike(pattern, escape="\\") for column in columns))


def task_conditions(task_filter: TaskFilter, today: date) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    f = task_filter
    if f.statuses:
        conditions.append(Task.status.in_(f.statuses))
    if f.priorities:
        conditions.append(Task.priority.in_(f.priorities))
    if f.assignee_id is not None:
        conditions.append(Task.assignee_id == f.assignee_id)
    if f.unassigned:
        conditions.append(Task.assignee_id.is_(None))
    if f.project_id is not None:
        conditions.append(Task.project_id == f.project_id)
    if f.due_before is not None:
        conditions.append(and_(Task.due_date.is_not(None), Task.due_date < f.due_before))
    if f.overdue is True:
        conditions.append(overdue(today))
    elif f.overdue is False:
        conditions.append(not_(overdue(today)))
    if f.text:
        conditions.append(contains_text(f.text, Task.title, Task.description))
    return conditions


def project_conditions(project_filter: ProjectFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    f = project_filter
    if f.statuses:
        conditions.append(Project.status.in_(f.statuses))
    if f.text:
        conditions.append(contains_text(f.text, Project.name, Project.description))
    if f.owner_id is not None:
        conditions.append(Project.owner_id == f.owner_id)
    if f.member_id is not None:
        conditions.append(Project.id.in_(member_project_ids(f.member_id)))
    return conditions


_priority_rank = case(
    {priority.value: rank for priority, rank in PRIORITY_RANK.items()}, value=Task.priority
)
_status_rank = case({status.value: rank for status, rank in STATUS_RANK.items()}, value=Task.status)
_has_no_due_date = case((Task.due_date.is_(None), 1), else_=0)


def task_ordering(order: TaskOrder) -> Ordering[Task]:
    desc = order.direction is Direction.DESC
    created = SortKey[Task](Task.created_at, lambda t: t.created_at, desc, datetime)
    ident = SortKey[Task](Task.id, lambda t: t.id, desc, str)
    keys: tuple[SortKey[Task], ...]
    match order.field:
        case TaskOrderField.CREATED_AT:
            keys = (created, ident)
        case TaskOrderField.UPDATED_AT:
            keys = (SortKey(Task.updated_at, lambda t: t.updated_at, desc, datetime), ident)
        case TaskOrderField.DUE_DATE:
            # Tasks without a due date come last in both directions.
            keys = (
                SortKey(_has_no_due_date, lambda t: int(t.due_date is None), False, int),
                SortKey(
                    func.coalesce(Task.due_date, NO_DUE_DATE),
                    lambda t: t.due_date or NO_DUE_DATE,
                    desc,
                    date,
                ),
                ident,
            )
        case TaskOrderField.PRIORITY:
            keys = (
                SortKey(_priority_rank, lambda t: PRIORITY_RANK[t.priority], desc, int),
                created,
                ident,
            )
        case TaskOrderField.STATUS:
            keys = (
                SortKey(_status_rank, lambda t: STATUS_RANK[t.status], desc, int),
                created,
                ident,
            )
        case TaskOrderField.TITLE:
            keys = (SortKey(Task.title, lambda t: t.title, desc, str), ident)
    return Ordering(name=f"task:{order.field.value}:{order.direction.value}", keys=keys)


def project_ordering(order: ProjectOrder) -> Ordering[Project]:
    desc = order.direction is Direction.DESC
    ident = SortKey[Project](Project.id, lambda p: p.id, desc, str)
    first: SortKey[Project]
    match order.field:
        case ProjectOrderField.CREATED_AT:
            first = SortKey(Project.created_at, lambda p: p.created_at, desc, datetime)
        case ProjectOrderField.UPDATED_AT:
            first = SortKey(Project.updated_at, lambda p: p.updated_at, desc, datetime)
        case ProjectOrderField.NAME:
            first = SortKey(Project.name, lambda p: p.name, desc, str)
    return Ordering(
        name=f"project:{order.field.value}:{order.direction.value}", keys=(first, ident)
    )
