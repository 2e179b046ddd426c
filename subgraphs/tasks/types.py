"""GraphQL types of the tasks subgraph. `resolve_reference` only calls a DataLoader.

`Project` and `Task` are entities owned here; `User` is the users subgraph's entity, which
this subgraph extends by its key with `projects`, `assignedTasks` and `taskStats`. Everything
a caller reads goes through loaders scoped to that caller, so a task of a project the caller
is not a member of is null everywhere, `_entities` included.
"""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry.types import Info

from subgraphs.common.context import Context
from subgraphs.common.errors import NotFound
from subgraphs.common.pagination import Connection, to_connection
from subgraphs.tasks import domain, models
from subgraphs.tasks.domain import ProjectStatus, TaskPriority, TaskStatus
from subgraphs.tasks.inputs import TaskFilterInput, TaskOrderInput
from subgraphs.tasks.loaders import CallerLoaders, Loaders, PageKey, UserProjectsKey, today

TasksInfo = Info[Context[Loaders], None]


async def loaders(info: TasksInfo) -> CallerLoaders:
    """The caller's loaders; UNAUTHENTICATED without a valid token."""
    caller = await info.context.require_caller()
    return info.context.loaders.for_caller(caller)


async def loaders_if_signed_in(info: TasksInfo) -> CallerLoaders | None:
    caller = await info.context.caller()
    return None if caller is None else info.context.loaders.for_caller(caller)


@strawberry.type(description="How many tasks are in one status.")
class TaskStatusCount:
    status: TaskStatus
    count: int


@strawberry.type(description="How many tasks have one priority.")
class TaskPriorityCount:
    priority: TaskPriority
    count: int


@strawberry.type(description="Statistics over the tasks the caller can see.")
class TaskStats:
    total: int
    by_status: list[TaskStatusCount]
    by_priority: list[TaskPriorityCount]
    completed: int = strawberry.field(description="Tasks in status DONE.")
    overdue: int = strawberry.field(
        description="Open tasks (TODO, IN_PROGRESS) whose due date is before today (UTC)."
    )
    completion_rate: float = strawberry.field(
        description="completed / (total - cancelled), between 0 and 1; 0 when nothing counts."
    )
    average_time_to_complete_seconds: float | None = strawberry.field(
        description="Mean of completedAt - createdAt over DONE tasks; null when none is done."
    )

    @classmethod
    def of(cls, stats: domain.TaskStats) -> TaskStats:
        return cls(
            total=stats.total,
            by_status=[TaskStatusCount(status=s, count=n) for s, n in stats.by_status.items()],
            by_priority=[
                TaskPriorityCount(priority=p, count=n) for p, n in stats.by_priority.items()
            ],
            completed=stats.completed,
            overdue=stats.overdue,
            completion_rate=stats.completion_rate,
            average_time_to_complete_seconds=stats.average_completion_seconds,
        )


async def _task_connection(
    info: TasksInfo,
    loader_name: str,
    owner_id: str,
    filter: TaskFilterInput | None,
    order_by: TaskOrderInput | None,
    first: int | None,
    after: str | None,
) -> Connection[Task]:
    scoped = await loaders(info)
    key = PageKey(
        owner_id=owner_id,
        task_filter=filter.to_domain() if filter else domain.TaskFilter(),
        order=order_by.to_domain() if order_by else domain.TaskOrder(),
        first=first,
        after=after,
    )
    page = await getattr(scoped, loader_name).load(key)
    return to_connection(page, Task.from_row)


@strawberry.federation.type(
    keys=["id"], description="A person (owned by the users subgraph), seen from tasks."
)
class User:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> User:
        return cls(id=id)  # nothing to load: every field below is read by user id

    @strawberry.field(
        description="The user's projects that the caller also belongs to, oldest first."
    )
    async def projects(
        self, info: TasksInfo, status: list[ProjectStatus] | None = None
    ) -> list[Project]:
        scoped = await loaders(info)
        key = UserProjectsKey(str(self.id), domain.ProjectFilter(statuses=tuple(status or ())))
        return [Project.from_row(row) for row in await scoped.user_projects.load(key)]

    @strawberry.field(description="Tasks assigned to the user, in projects the caller can see.")
    async def assigned_tasks(
        self,
        info: TasksInfo,
        filter: TaskFilterInput | None = None,
        order_by: TaskOrderInput | None = None,
        first: int | None = 20,
        after: str | None = None,
    ) -> Connection[Task]:
        return await _task_connection(
            info, "assigned_tasks", str(self.id), filter, order_by, first, after
        )

    @strawberry.field(description="Statistics of the tasks assigned to the user (visible ones).")
    async def task_stats(self, info: TasksInfo) -> TaskStats:
        return TaskStats.of(await (await loaders(info)).assignee_stats.load(str(self.id)))


@strawberry.federation.type(keys=["id"], description="A project: members and their tasks.")
class Project:
    id: strawberry.ID
    name: str
    description: str
    status: ProjectStatus
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None
    row: strawberry.Private[models.Project]

    @classmethod
    def from_row(cls, row: models.Project) -> Project:
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            description=row.description,
            status=row.status,
            created_at=row.created_at,
            updated_at=row.updated_at,
            archived_at=row.archived_at,
            row=row,
        )

    @classmethod
    async def resolve_reference(cls, info: TasksInfo, id: strawberry.ID) -> Project | None:
        scoped = await loaders_if_signed_in(info)
        row = None if scoped is None else await scoped.project_by_id.load(str(id))
        return None if row is None else cls.from_row(row)

    @strawberry.field
    def owner(self) -> User:
        return User(id=strawberry.ID(self.row.owner_id))

    @strawberry.field(description="Members (the owner included), in the order they joined.")
    async def members(self, info: TasksInfo) -> list[User]:
        ids = await (await loaders(info)).member_ids.load(self.row.id)
        return [User(id=strawberry.ID(i)) for i in ids]

    @strawberry.field
    async def tasks(
        self,
        info: TasksInfo,
        filter: TaskFilterInput | None = None,
        order_by: TaskOrderInput | None = None,
        first: int | None = 20,
        after: str | None = None,
    ) -> Connection[Task]:
        return await _task_connection(
            info, "project_tasks", self.row.id, filter, order_by, first, after
        )

    @strawberry.field
    async def stats(self, info: TasksInfo) -> TaskStats:
        return TaskStats.of(await (await loaders(info)).project_stats.load(self.row.id))


@strawberry.federation.type(keys=["id"], description="A unit of work in a project.")
class Task:
    id: strawberry.ID
    title: str
    description: str
    status: TaskStatus
    priority: TaskPriority
    due_date: date | None
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    version: int = strawberry.field(
        description="Changes on every update; pass it back to `updateTask` (stale: CONFLICT)."
    )
    row: strawberry.Private[models.Task]

    @classmethod
    def from_row(cls, row: models.Task) -> Task:
        return cls(
            id=strawberry.ID(row.id),
            title=row.title,
            description=row.description,
            status=row.status,
            priority=row.priority,
            due_date=row.due_date,
            tags=list(row.tags),
            created_at=row.created_at,
            updated_at=row.updated_at,
            completed_at=row.completed_at,
            version=row.version,
            row=row,
        )

    @classmethod
    async def resolve_reference(cls, info: TasksInfo, id: strawberry.ID) -> Task | None:
        scoped = await loaders_if_signed_in(info)
        row = None if scoped is None else await scoped.task_by_id.load(str(id))
        return None if row is None else cls.from_row(row)

    @strawberry.field(description="Open and due before today (UTC).")
    def overdue(self) -> bool:
        due = self.row.due_date
        return due is not None and due < today() and self.row.status in domain.OPEN_STATUSES

    @strawberry.field
    async def project(self, info: TasksInfo) -> Project:
        row = await (await loaders(info)).project_by_id.load(self.row.project_id)
        if row is None:  # a task is visible exactly when its project is
            raise NotFound(f"project {self.row.project_id} not found")
        return Project.from_row(row)

    @strawberry.field
    def creator(self) -> User:
        return User(id=strawberry.ID(self.row.creator_id))

    @strawberry.field
    def assignee(self) -> User | None:
        assignee = self.row.assignee_id
        return None if assignee is None else User(id=strawberry.ID(assignee))
