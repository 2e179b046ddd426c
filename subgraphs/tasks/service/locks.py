"""Project locks: writes that depend on a project's members or status never interleave with
the writes that change them.

A task write checks that the project is active and that the caller and assignee are members,
then writes; removing a member, archiving or deleting the project changes exactly what it
checked. Without a lock the check can go stale before the write commits (a task assigned to a
member who was just removed, a task created in a project just archived). So each write
transaction locks its project first, before reading anything it decides on:

- PostgreSQL: `SELECT ... FOR SHARE` on the project row for task writes (they only read the
  members and status, so task writes in one project still run side by side) and `FOR UPDATE`
  for project writes (members, status, the project itself). Reads after the lock (READ
  COMMITTED) see everything committed before it.
- SQLite ignores `FOR UPDATE`, and one writer at a time is not enough: pysqlite begins its
  transaction only at the first INSERT/UPDATE/DELETE, so the reads before it hold no lock.
  `BEGIN IMMEDIATE` (subgraphs/common/writes.py) takes the database's write lock before the
  first read instead.

The project lock is always the first lock a transaction takes, so these locks cannot deadlock.
"""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import select

from db.engine import begin_write
from subgraphs.tasks.models import Project, Task
from subgraphs.tasks.service.unit import Unit


class ProjectLock(enum.Enum):
    SHARED = "shared"  # task writes: they depend on the project's members and status
    EXCLUSIVE = "exclusive"  # project writes: they change them


async def lock_project(unit: Unit, project_id: str, mode: ProjectLock) -> None:
    """Hold the project (if it exists) until the unit's transaction ends."""
    if not await begin_write(unit.session):
        statement = select(Project.id).where(Project.id == project_id)
        await unit.session.execute(_locked(statement, mode))


async def lock_project_of_task(unit: Unit, task_id: str, mode: ProjectLock) -> None:
    """Hold the project of the task (if it exists) until the unit's transaction ends."""
    if not await begin_write(unit.session):
        statement = (
            select(Project.id).join(Task, Task.project_id == Project.id).where(Task.id == task_id)
        )
        await unit.session.execute(_locked(statement, mode, of=Project))


def _locked(statement: Any, mode: ProjectLock, of: Any = None) -> Any:
    return statement.with_for_update(read=mode is ProjectLock.SHARED, of=of)
