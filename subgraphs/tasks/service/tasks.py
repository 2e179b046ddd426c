"""Task mutations: create, update, assign, complete, reopen, delete.

Optimistic concurrency: a caller passes the `version` it read. A different current version is
CONFLICT before anything changes, and the UPDATE itself only matches the version that was
loaded (the mapper's `version_id_col`), so of two concurrent editors holding the same version
exactly one commits and the other gets CONFLICT, on PostgreSQL as on SQLite.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm.exc import StaleDataError

from subgraphs.common.errors import Conflict, Forbidden
from subgraphs.tasks import events
from subgraphs.tasks.domain import UNSET, NewTask, TaskChanges, TaskPriority, TaskStatus
from subgraphs.tasks.models import Task
from subgraphs.tasks.service import validation
from subgraphs.tasks.service.access import project_for, require_member, task_for
from subgraphs.tasks.service.unit import Unit


async def create_task(unit: Unit, new: NewTask) -> Task:
    async with unit:
        await project_for(unit, new.project_id, writable=True)
        assignee = None
        if new.assignee_id is not None:
            assignee = validation.user_id(new.assignee_id, "assigneeId")
            await require_member(unit, new.project_id, assignee, "assignee")
        now = unit.now()
        task = Task(
            project_id=new.project_id,
            title=validation.required_text(new.title, "title", validation.MAX_TITLE),
            description=validation.description(new.description),
            status=new.status,
            priority=new.priority,
            due_date=new.due_date,
            tags=validation.tags(new.tags),
            creator_id=unit.caller.user_id,
            assignee_id=assignee,
            created_at=now,
            updated_at=now,
            completed_at=now if new.status is TaskStatus.DONE else None,
        )
        unit.session.add(task)
        await unit.session.flush()
        events.emit_task(unit, events.TASK_CREATED, task)
        if assignee is not None:
            events.emit_task(unit, events.TASK_ASSIGNED, task, previous_assignee_id=None)
    return task


async def update_task(unit: Unit, task_id: str, version: int, changes: TaskChanges) -> Task:
    async with unit:
        task = (await task_for(unit, task_id, writable=True)).task
        _check_version(task, version)
        was_done = task.status is TaskStatus.DONE
        changed = _apply(task, changes)
        if "status" in changed:
            _set_completion(unit, task)
        if changed:
            task.updated_at = unit.now()
            await _flush(unit, task_id)
            events.emit_task(unit, events.TASK_UPDATED, task, changed=changed)
            if task.status is TaskStatus.DONE and not was_done:
                events.emit_task(unit, events.TASK_COMPLETED, task)
    return task


async def assign_task(
    unit: Unit, task_id: str, assignee_id: str | None, version: int | None = None
) -> Task:
    """Assign to a project member, or unassign with None."""
    async with unit:
        task = (await task_for(unit, task_id, writable=True)).task
        _check_version(task, version)
        if assignee_id is not None:
            assignee_id = validation.user_id(assignee_id, "assigneeId")
            await require_member(unit, task.project_id, assignee_id, "assignee")
        previous = task.assignee_id
        if assignee_id != previous:
            task.assignee_id = assignee_id
            task.updated_at = unit.now()
            await _flush(unit, task_id)
            events.emit_task(unit, events.TASK_ASSIGNED, task, previous_assignee_id=previous)
    return task


async def complete_task(unit: Unit, task_id: str, version: int | None = None) -> Task:
    """Mark DONE; completing a DONE task changes nothing."""
    return await _set_status(unit, task_id, version, TaskStatus.DONE)


async def reopen_task(unit: Unit, task_id: str, version: int | None = None) -> Task:
    """Back to TODO from DONE or CANCELLED; reopening an open task changes nothing."""
    return await _set_status(unit, task_id, version, TaskStatus.TODO)


async def delete_task(unit: Unit, task_id: str, version: int | None = None) -> str:
    """The task's creator or the project owner deletes it; returns its id."""
    async with unit:
        found = await task_for(unit, task_id, writable=True)
        task = found.task
        _check_version(task, version)
        if unit.caller.user_id not in (task.creator_id, found.project_owner_id):
            raise Forbidden("only the task's creator or the project owner can delete it")
        payload = events.task_payload(task)
        await unit.session.delete(task)
        await _flush(unit, task_id)
        unit.emit(events.TASK_DELETED, payload, aggregate_id=task_id, version=task.version)
    return task_id


async def _set_status(unit: Unit, task_id: str, version: int | None, status: TaskStatus) -> Task:
    async with unit:
        task = (await task_for(unit, task_id, writable=True)).task
        _check_version(task, version)
        reopening = status is TaskStatus.TODO
        unchanged = (
            task.status in (TaskStatus.TODO, TaskStatus.IN_PROGRESS)
            if reopening
            else task.status is status
        )
        if not unchanged:
            task.status = status
            _set_completion(unit, task)
            task.updated_at = unit.now()
            await _flush(unit, task_id)
            events.emit_task(unit, events.TASK_UPDATED, task, changed=["status"])
            if status is TaskStatus.DONE:
                events.emit_task(unit, events.TASK_COMPLETED, task)
    return task


def _check_version(task: Task, version: int | None) -> None:
    if version is not None and version != task.version:
        raise Conflict(
            f"task {task.id} was changed by someone else (version {version} is stale; "
            f"the current version is {task.version}); reload it and retry",
            currentVersion=task.version,
        )


async def _flush(unit: Unit, task_id: str) -> None:
    try:
        await unit.session.flush()
    except StaleDataError as error:
        raise Conflict(
            f"task {task_id} was changed by someone else at the same time; reload it and retry"
        ) from error


def _set_completion(unit: Unit, task: Task) -> None:
    if task.status is TaskStatus.DONE:
        if task.completed_at is None:
            task.completed_at = unit.now()
    else:
        task.completed_at = None


def _apply(task: Task, changes: TaskChanges) -> list[str]:
    """Apply the given fields; return the names of those whose value really changed."""
    new: dict[str, Any] = {}
    if changes.title is not UNSET:
        new["title"] = validation.required_text(str(changes.title), "title", validation.MAX_TITLE)
    if changes.description is not UNSET:
        new["description"] = validation.description(str(changes.description))
    if isinstance(changes.status, TaskStatus):
        new["status"] = changes.status
    if isinstance(changes.priority, TaskPriority):
        new["priority"] = changes.priority
    if changes.due_date is None or isinstance(changes.due_date, date):
        new["due_date"] = changes.due_date
    if isinstance(changes.tags, tuple):
        new["tags"] = validation.tags(changes.tags)
    changed = []
    for name, value in new.items():
        if getattr(task, name) != value:
            setattr(task, name, value)
            changed.append(name)
    return changed
