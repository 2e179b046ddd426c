"""The domain events this subgraph publishes, and their payloads (plain JSON values)."""

from __future__ import annotations

from typing import Any

from subgraphs.tasks.models import Project, Task

TASK_CREATED = "task.created"
TASK_ASSIGNED = "task.assigned"
TASK_COMPLETED = "task.completed"
TASK_UPDATED = "task.updated"
TASK_DELETED = "task.deleted"
PROJECT_CREATED = "project.created"
PROJECT_ARCHIVED = "project.archived"
PROJECT_DELETED = "project.deleted"


def task_payload(task: Task, **extra: Any) -> dict[str, Any]:
    return {
        "task_id": task.id,
        "project_id": task.project_id,
        "title": task.title,
        "status": task.status.value,
        "priority": task.priority.value,
        "assignee_id": task.assignee_id,
        "creator_id": task.creator_id,
        "due_date": task.due_date.isoformat() if task.due_date else None,
        "version": task.version,
        **extra,
    }


def project_payload(project: Project, **extra: Any) -> dict[str, Any]:
    return {
        "project_id": project.id,
        "name": project.name,
        "owner_id": project.owner_id,
        "status": project.status.value,
        **extra,
    }
