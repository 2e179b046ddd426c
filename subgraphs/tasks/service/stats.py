"""Task statistics in one aggregate statement, optionally per project or per assignee.

The statement groups the caller's visible tasks by (group, status, priority) and sums, per
cell, the overdue tasks and the seconds DONE tasks took; the rest is arithmetic in Python.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from sqlalchemy import ColumnElement, Float, and_, case, cast, extract, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.auth import Caller
from subgraphs.tasks.domain import TaskPriority, TaskStats, TaskStatus
from subgraphs.tasks.models import Task
from subgraphs.tasks.service.queries import overdue, visible_tasks

Group = Literal["project", "assignee"]
ALL = ""  # the key of the single group when no grouping is asked for


def completion_seconds(dialect: str) -> ColumnElement[Any]:
    """completed_at - created_at in seconds, in the backend's own date arithmetic."""
    if dialect == "postgresql":
        return cast(extract("epoch", Task.completed_at - Task.created_at), Float)
    return (func.julianday(Task.completed_at) - func.julianday(Task.created_at)) * 86400.0


@dataclass
class _Tally:
    by_status: dict[TaskStatus, int] = field(default_factory=lambda: defaultdict(int))
    by_priority: dict[TaskPriority, int] = field(default_factory=lambda: defaultdict(int))
    overdue: int = 0
    done_seconds: float = 0.0
    done_timed: int = 0

    def stats(self) -> TaskStats:
        total = sum(self.by_status.values())
        done = self.by_status.get(TaskStatus.DONE, 0)
        countable = total - self.by_status.get(TaskStatus.CANCELLED, 0)
        return TaskStats(
            total=total,
            by_status={s: self.by_status.get(s, 0) for s in TaskStatus},
            by_priority={p: self.by_priority.get(p, 0) for p in TaskPriority},
            completed=done,
            overdue=self.overdue,
            completion_rate=done / countable if countable else 0.0,
            average_completion_seconds=(
                self.done_seconds / self.done_timed if self.done_timed else None
            ),
        )


async def task_stats(
    session: AsyncSession,
    caller: Caller,
    today: date,
    *,
    group: Group | None = None,
    keys: Sequence[str] = (),
    conditions: Sequence[ColumnElement[bool]] = (),
) -> dict[str, TaskStats]:
    """Stats of the visible tasks matching `conditions`, per key of `group` (or under ALL)."""
    group_column = {"project": Task.project_id, "assignee": Task.assignee_id, None: None}[group]
    timed = and_(Task.status == TaskStatus.DONE, Task.completed_at.is_not(None))
    seconds = completion_seconds(session.get_bind().dialect.name)
    columns: list[Any] = [
        Task.status,
        Task.priority,
        func.count(),
        func.sum(case((overdue(today), 1), else_=0)),
        func.sum(case((timed, seconds), else_=None)),
        func.sum(case((timed, 1), else_=0)),
    ]
    where = [visible_tasks(caller), *conditions]
    group_by: list[Any] = [Task.status, Task.priority]
    if group_column is not None:
        columns.insert(0, group_column)
        group_by.insert(0, group_column)
        where.append(group_column.in_(sorted(set(keys))))
    tallies: dict[str, _Tally] = defaultdict(_Tally)
    rows = (await session.execute(select(*columns).where(*where).group_by(*group_by))).all()
    for row in rows:
        values = tuple(row)
        key = ALL
        if group_column is not None:
            key, values = values[0], values[1:]
        status, priority, count, overdue_count, seconds_sum, timed_count = values
        tally = tallies[key]
        tally.by_status[TaskStatus(status)] += count
        tally.by_priority[TaskPriority(priority)] += count
        tally.overdue += int(overdue_count or 0)
        tally.done_seconds += float(seconds_sum or 0.0)
        tally.done_timed += int(timed_count or 0)
    wanted = keys if group_column is not None else (ALL,)
    return {key: tallies[key].stats() for key in wanted}
