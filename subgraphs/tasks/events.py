"""The domain events this subgraph publishes, and their payloads (plain JSON values)."""

from __future__ import annotations

from typing import Any

from subgraphs.common.auth import Caller
from subgraphs.common.unit_of_work import UnitOfWork
from subgraphs.common.versions import version_from
from subgraphs.tasks.models import Project, Task

TASK_CREATED = "task.created"
TASK_ASSIGNED = "task.assigned"
TASK_COMPLETED = "task.completed"
TASK_UPDATED = "task.updated"
TASK_DELETED = "task.deleted"
PROJECT_CREATED = "project.created"
PROJECT_UPDATED = "project.updated"
PROJECT_ARCHIVED = "project.archived"
PROJECT_RESTORED = "project.restored"
PROJECT_MEMBER_ADDED = "project.member_added"
PROJECT_MEMBER_REMOVED = "project.member_removed"
PROJECT_DELETED = "project.deleted"


def task_payload(task: Task, **extra: Any) -> dict[str, Any]:
    return {
        "task_id": task.id,
        "project_id": task.project_id,
        "title": task.title,
        "description": task.description,
        "tags": list(task.tags),
        "status": task.status.value,
        "priority": task.priority.value,
        "assignee_id": task.assignee_id,
        "creator_id": task.creator_id,
        "due_date": task.due_date.isoformat() if task.due_date else None,
        "created_at": task.created_at.isoformat(),
        "version": task.version,
        **extra,
    }


def project_payload(project: Project, member_ids: list[str], **extra: Any) -> dict[str, Any]:
    """Every project event carries the members after the change (search keeps them to show a
    project's tasks to its members only) and a `version` that orders the project's events."""
    return {
        "project_id": project.id,
        "name": project.name,
        "description": project.description,
        "owner_id": project.owner_id,
        "status": project.status.value,
        "member_ids": member_ids,
        "created_at": project.created_at.isoformat(),
        "version": version_from(project.updated_at),
        **extra,
    }


def emit_task(unit: UnitOfWork[Caller], type: str, task: Task, **extra: Any) -> None:
    unit.emit(type, task_payload(task, **extra), aggregate_id=task.id, version=task.version)


def emit_project(
    unit: UnitOfWork[Caller], type: str, project: Project, member_ids: list[str], **extra: Any
) -> None:
    payload = project_payload(project, member_ids, **extra)
    unit.emit(type, payload, aggregate_id=project.id, version=payload["version"])
