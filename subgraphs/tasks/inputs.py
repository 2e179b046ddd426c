"""GraphQL enums and input types of the tasks subgraph, and their conversion to the domain.

An optional field left out of an update input is UNSET (unchanged); an explicit null clears
it where that means something (a task's due date).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry
from strawberry.types.unset import UnsetType

from subgraphs.common.errors import BadUserInput
from subgraphs.tasks import domain
from subgraphs.tasks.domain import (
    Direction,
    ProjectOrderField,
    ProjectStatus,
    TaskOrderField,
    TaskPriority,
    TaskStatus,
)

# The domain's enums are the GraphQL enums (strawberry.enum marks the class in place).
strawberry.enum(TaskStatus, name="TaskStatus")
strawberry.enum(TaskPriority, name="TaskPriority")
strawberry.enum(ProjectStatus, name="ProjectStatus")
strawberry.enum(TaskOrderField, name="TaskOrderField")
strawberry.enum(ProjectOrderField, name="ProjectOrderField")
# Named like the catalog subgraph's identical enum, so composition merges the two.
strawberry.enum(Direction, name="SortDirection")


def _id(value: strawberry.ID | None) -> str | None:
    return None if value is None else str(value)


@strawberry.input(
    name="TaskFilter", description="Every given criterion must hold; a list matches any value."
)
class TaskFilterInput:
    status: list[TaskStatus] | None = None
    priority: list[TaskPriority] | None = None
    assignee_id: strawberry.ID | None = None
    unassigned: bool | None = strawberry.field(default=None, description="true: no assignee.")
    project_id: strawberry.ID | None = None
    due_before: date | None = strawberry.field(
        default=None, description="Due strictly before this date."
    )
    overdue: bool | None = strawberry.field(
        default=None, description="Open (TODO, IN_PROGRESS) and due before today (UTC)."
    )
    text: str | None = strawberry.field(
        default=None, description="Case-insensitive substring of the title or description."
    )

    def to_domain(self) -> domain.TaskFilter:
        return domain.TaskFilter(
            statuses=tuple(self.status or ()),
            priorities=tuple(self.priority or ()),
            assignee_id=_id(self.assignee_id),
            unassigned=bool(self.unassigned),
            project_id=_id(self.project_id),
            due_before=self.due_before,
            overdue=self.overdue,
            text=self.text or None,
        )


@strawberry.input(name="TaskOrder", description="Ties are broken by creation, then by id.")
class TaskOrderInput:
    field: TaskOrderField = TaskOrderField.CREATED_AT
    direction: Direction = Direction.DESC

    def to_domain(self) -> domain.TaskOrder:
        return domain.TaskOrder(self.field, self.direction)


@strawberry.input(name="ProjectFilter")
class ProjectFilterInput:
    status: list[ProjectStatus] | None = None
    text: str | None = strawberry.field(
        default=None, description="Case-insensitive substring of the name or description."
    )
    owner_id: strawberry.ID | None = None

    def to_domain(self) -> domain.ProjectFilter:
        return domain.ProjectFilter(
            statuses=tuple(self.status or ()), text=self.text or None, owner_id=_id(self.owner_id)
        )


@strawberry.input(name="ProjectOrder")
class ProjectOrderInput:
    field: ProjectOrderField = ProjectOrderField.CREATED_AT
    direction: Direction = Direction.DESC

    def to_domain(self) -> domain.ProjectOrder:
        return domain.ProjectOrder(self.field, self.direction)


@strawberry.input
class CreateProjectInput:
    name: str
    description: str = ""
    member_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Members besides the creator, who owns the project."
    )

    def to_domain(self) -> domain.NewProject:
        return domain.NewProject(self.name, self.description, tuple(map(str, self.member_ids)))


@strawberry.input
class UpdateProjectInput:
    name: str | None = None
    description: str | None = None

    def to_domain(self) -> domain.ProjectChanges:
        return domain.ProjectChanges(name=self.name, description=self.description)


@strawberry.input
class CreateTaskInput:
    project_id: strawberry.ID
    title: str
    description: str = ""
    status: TaskStatus = TaskStatus.TODO
    priority: TaskPriority = TaskPriority.MEDIUM
    due_date: date | None = None
    tags: list[str] = strawberry.field(default_factory=list)
    assignee_id: strawberry.ID | None = strawberry.field(
        default=None, description="Must be a member of the project."
    )

    def to_domain(self) -> domain.NewTask:
        return domain.NewTask(
            project_id=str(self.project_id),
            title=self.title,
            description=self.description,
            priority=self.priority,
            status=self.status,
            due_date=self.due_date,
            tags=tuple(self.tags),
            assignee_id=_id(self.assignee_id),
        )


@strawberry.input(description="Fields left out keep their value; `dueDate: null` clears it.")
class UpdateTaskInput:
    title: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    status: TaskStatus | None = strawberry.UNSET
    priority: TaskPriority | None = strawberry.UNSET
    due_date: date | None = strawberry.UNSET
    tags: list[str] | None = strawberry.UNSET

    def to_domain(self) -> domain.TaskChanges:
        changes: dict[str, Any] = {}
        for name in ("title", "description", "status", "priority", "tags"):
            value = getattr(self, name)
            if isinstance(value, UnsetType):
                continue
            if value is None:
                raise BadUserInput(f"`{name}` cannot be null", field=name)
            changes[name] = tuple(value) if name == "tags" else value
        if not isinstance(self.due_date, UnsetType):
            changes["due_date"] = self.due_date
        return domain.TaskChanges(**changes)
