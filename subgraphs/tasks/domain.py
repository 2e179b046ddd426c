"""The tasks domain in plain data: enums, the caller, and the inputs the service layer takes.

Nothing here knows GraphQL or SQL; resolvers build these from arguments and the service layer
turns them into statements.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date


class ProjectStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"


class TaskStatus(enum.StrEnum):
    TODO = "TODO"
    IN_PROGRESS = "IN_PROGRESS"
    DONE = "DONE"
    CANCELLED = "CANCELLED"


class TaskPriority(enum.StrEnum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    URGENT = "URGENT"


# A task still counts as work to do (and can be overdue) only in these states.
OPEN_STATUSES: tuple[TaskStatus, ...] = (TaskStatus.TODO, TaskStatus.IN_PROGRESS)

# Sort ranks: "priority descending" means URGENT first, whatever the spelling sorts to.
PRIORITY_RANK: dict[TaskPriority, int] = {p: i for i, p in enumerate(TaskPriority)}
STATUS_RANK: dict[TaskStatus, int] = {s: i for i, s in enumerate(TaskStatus)}


class TaskOrderField(enum.StrEnum):
    CREATED_AT = "CREATED_AT"
    UPDATED_AT = "UPDATED_AT"
    DUE_DATE = "DUE_DATE"
    PRIORITY = "PRIORITY"
    STATUS = "STATUS"
    TITLE = "TITLE"


class ProjectOrderField(enum.StrEnum):
    CREATED_AT = "CREATED_AT"
    UPDATED_AT = "UPDATED_AT"
    NAME = "NAME"


class Direction(enum.StrEnum):
    ASC = "ASC"
    DESC = "DESC"


@dataclass(frozen=True)
class TaskFilter:
    """All given criteria must hold. Empty tuples and None mean "any"."""

    statuses: tuple[TaskStatus, ...] = ()
    priorities: tuple[TaskPriority, ...] = ()
    assignee_id: str | None = None
    unassigned: bool = False
    project_id: str | None = None
    due_before: date | None = None
    overdue: bool | None = None
    text: str | None = None


@dataclass(frozen=True)
class TaskOrder:
    field: TaskOrderField = TaskOrderField.CREATED_AT
    direction: Direction = Direction.DESC


@dataclass(frozen=True)
class ProjectFilter:
    statuses: tuple[ProjectStatus, ...] = ()
    text: str | None = None
    owner_id: str | None = None
    member_id: str | None = None


@dataclass(frozen=True)
class ProjectOrder:
    field: ProjectOrderField = ProjectOrderField.CREATED_AT
    direction: Direction = Direction.DESC


@dataclass(frozen=True)
class NewProject:
    name: str
    description: str = ""
    member_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProjectChanges:
    """Only the fields that are not None change."""

    name: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class NewTask:
    project_id: str
    title: str
    description: str = ""
    priority: TaskPriority = TaskPriority.MEDIUM
    status: TaskStatus = TaskStatus.TODO
    due_date: date | None = None
    tags: tuple[str, ...] = ()
    assignee_id: str | None = None


UNSET: object = object()


@dataclass(frozen=True)
class TaskChanges:
    """Fields left as UNSET keep their value; `due_date=None` clears the due date."""

    title: str | object = UNSET
    description: str | object = UNSET
    status: TaskStatus | object = UNSET
    priority: TaskPriority | object = UNSET
    due_date: date | object | None = UNSET
    tags: tuple[str, ...] | object = UNSET

    def changed_fields(self) -> list[str]:
        return [name for name in _CHANGE_FIELDS if getattr(self, name) is not UNSET]


_CHANGE_FIELDS = ("title", "description", "status", "priority", "due_date", "tags")


@dataclass(frozen=True)
class TaskStats:
    total: int = 0
    by_status: dict[TaskStatus, int] = field(default_factory=dict)
    by_priority: dict[TaskPriority, int] = field(default_factory=dict)
    completed: int = 0
    overdue: int = 0
    # completed / (total - cancelled); 0.0 when nothing is left to complete.
    completion_rate: float = 0.0
    # Mean of completed_at - created_at over DONE tasks, in seconds; None when none is done.
    average_completion_seconds: float | None = None
