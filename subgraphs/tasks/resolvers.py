"""Thin Query and Mutation fields: read arguments, call the service, shape the result."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import strawberry

from subgraphs.common.pagination import Connection, to_connection
from subgraphs.tasks.domain import ProjectFilter, ProjectOrder, TaskFilter, TaskOrder
from subgraphs.tasks.inputs import (
    CreateProjectInput,
    CreateTaskInput,
    ProjectFilterInput,
    ProjectOrderInput,
    TaskFilterInput,
    TaskOrderInput,
    UpdateProjectInput,
    UpdateTaskInput,
)
from subgraphs.tasks.loaders import today
from subgraphs.tasks.service import listing, projects, tasks
from subgraphs.tasks.service.access import project_for
from subgraphs.tasks.service.queries import task_conditions
from subgraphs.tasks.service.stats import ALL, task_stats
from subgraphs.tasks.service.unit import Unit
from subgraphs.tasks.types import Project, Task, TasksInfo, TaskStats, loaders


@asynccontextmanager
async def unit_of_work(info: TasksInfo) -> AsyncIterator[Unit]:
    """A session acting as the verified caller, publishing to the app's event bus."""
    caller = await info.context.require_caller()
    async with info.context.db.sessions() as session:
        yield Unit(session, caller, info.context.events)


@asynccontextmanager
async def reading(info: TasksInfo) -> AsyncIterator[Unit]:
    """Like `unit_of_work`, on an autocommit session: for queries, which write nothing."""
    caller = await info.context.require_caller()
    async with info.context.loaders.sessions() as session:
        yield Unit(session, caller)


@strawberry.type
class Query:
    @strawberry.field(description="A task of one of the caller's projects; null otherwise.")
    async def task(self, info: TasksInfo, id: strawberry.ID) -> Task | None:
        row = await (await loaders(info)).task_by_id.load(str(id))
        return None if row is None else Task.from_row(row)

    @strawberry.field(description="Tasks of every project the caller is a member of.")
    async def tasks(
        self,
        info: TasksInfo,
        filter: TaskFilterInput | None = None,
        order_by: TaskOrderInput | None = None,
        first: int | None = 20,
        after: str | None = None,
    ) -> Connection[Task]:
        async with reading(info) as unit:
            page = await listing.task_page(
                unit.session,
                unit.caller,
                filter.to_domain() if filter else TaskFilter(),
                order_by.to_domain() if order_by else TaskOrder(),
                first,
                after,
                today(),
            )
        return to_connection(page, Task.from_row)

    @strawberry.field(description="A project the caller is a member of; null otherwise.")
    async def project(self, info: TasksInfo, id: strawberry.ID) -> Project | None:
        row = await (await loaders(info)).project_by_id.load(str(id))
        return None if row is None else Project.from_row(row)

    @strawberry.field(description="Projects the caller is a member of (admins: all).")
    async def projects(
        self,
        info: TasksInfo,
        filter: ProjectFilterInput | None = None,
        order_by: ProjectOrderInput | None = None,
        first: int | None = 20,
        after: str | None = None,
    ) -> Connection[Project]:
        async with reading(info) as unit:
            page = await listing.project_page(
                unit.session,
                unit.caller,
                filter.to_domain() if filter else ProjectFilter(),
                order_by.to_domain() if order_by else ProjectOrder(),
                first,
                after,
            )
        return to_connection(page, Project.from_row)

    @strawberry.field(
        description="Statistics over the caller's visible tasks, optionally of one project "
        "and/or one assignee. An unknown or foreign project is NOT_FOUND."
    )
    async def task_stats(
        self,
        info: TasksInfo,
        project_id: strawberry.ID | None = None,
        assignee_id: strawberry.ID | None = None,
    ) -> TaskStats:
        task_filter = TaskFilter(
            project_id=None if project_id is None else str(project_id),
            assignee_id=None if assignee_id is None else str(assignee_id),
        )
        async with reading(info) as unit:
            if task_filter.project_id is not None:
                await project_for(unit, task_filter.project_id)
            found = await task_stats(
                unit.session,
                unit.caller,
                today(),
                conditions=task_conditions(task_filter, today()),
            )
        return TaskStats.of(found[ALL])


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create a project owned by the caller.")
    async def create_project(self, info: TasksInfo, input: CreateProjectInput) -> Project:
        async with unit_of_work(info) as unit:
            return Project.from_row(await projects.create_project(unit, input.to_domain()))

    @strawberry.mutation(description="Rename or describe a project (owner only).")
    async def update_project(
        self, info: TasksInfo, id: strawberry.ID, input: UpdateProjectInput
    ) -> Project:
        async with unit_of_work(info) as unit:
            row = await projects.update_project(unit, str(id), input.to_domain())
            return Project.from_row(row)

    @strawberry.mutation(description="Archive a project: its tasks become read-only (owner only).")
    async def archive_project(self, info: TasksInfo, id: strawberry.ID) -> Project:
        async with unit_of_work(info) as unit:
            return Project.from_row(await projects.archive_project(unit, str(id)))

    @strawberry.mutation(description="Make an archived project active again (owner only).")
    async def restore_project(self, info: TasksInfo, id: strawberry.ID) -> Project:
        async with unit_of_work(info) as unit:
            return Project.from_row(await projects.restore_project(unit, str(id)))

    @strawberry.mutation(description="Delete a project and its tasks (owner only); its id.")
    async def delete_project(self, info: TasksInfo, id: strawberry.ID) -> strawberry.ID:
        async with unit_of_work(info) as unit:
            return strawberry.ID(await projects.delete_project(unit, str(id)))

    @strawberry.mutation(description="Add a member (owner only); adding a member twice is a no-op.")
    async def add_project_member(
        self, info: TasksInfo, project_id: strawberry.ID, user_id: strawberry.ID
    ) -> Project:
        async with unit_of_work(info) as unit:
            row = await projects.add_member(unit, str(project_id), str(user_id))
            return Project.from_row(row)

    @strawberry.mutation(
        description="Remove a member (owner only; members may remove themselves). Their open "
        "tasks in the project become unassigned."
    )
    async def remove_project_member(
        self, info: TasksInfo, project_id: strawberry.ID, user_id: strawberry.ID
    ) -> Project:
        async with unit_of_work(info) as unit:
            row = await projects.remove_member(unit, str(project_id), str(user_id))
            return Project.from_row(row)

    @strawberry.mutation(description="Create a task in a project the caller is a member of.")
    async def create_task(self, info: TasksInfo, input: CreateTaskInput) -> Task:
        async with unit_of_work(info) as unit:
            return Task.from_row(await tasks.create_task(unit, input.to_domain()))

    @strawberry.mutation(
        description="Change a task. `version` is the version the caller read: if the task "
        "changed since, nothing is written and the error is CONFLICT."
    )
    async def update_task(
        self, info: TasksInfo, id: strawberry.ID, version: int, input: UpdateTaskInput
    ) -> Task:
        changes = input.to_domain()
        async with unit_of_work(info) as unit:
            return Task.from_row(await tasks.update_task(unit, str(id), version, changes))

    @strawberry.mutation(
        description="Assign to a project member, or unassign with `assigneeId: null`. "
        "With `version`, a stale version is CONFLICT."
    )
    async def assign_task(
        self,
        info: TasksInfo,
        id: strawberry.ID,
        assignee_id: strawberry.ID | None,
        version: int | None = None,
    ) -> Task:
        assignee = None if assignee_id is None else str(assignee_id)
        async with unit_of_work(info) as unit:
            return Task.from_row(await tasks.assign_task(unit, str(id), assignee, version))

    @strawberry.mutation(description="Mark a task DONE (a DONE task stays as it is).")
    async def complete_task(
        self, info: TasksInfo, id: strawberry.ID, version: int | None = None
    ) -> Task:
        async with unit_of_work(info) as unit:
            return Task.from_row(await tasks.complete_task(unit, str(id), version))

    @strawberry.mutation(description="Put a DONE or CANCELLED task back to TODO.")
    async def reopen_task(
        self, info: TasksInfo, id: strawberry.ID, version: int | None = None
    ) -> Task:
        async with unit_of_work(info) as unit:
            return Task.from_row(await tasks.reopen_task(unit, str(id), version))

    @strawberry.mutation(description="Delete a task (its creator or the project owner); its id.")
    async def delete_task(
        self, info: TasksInfo, id: strawberry.ID, version: int | None = None
    ) -> strawberry.ID:
        async with unit_of_work(info) as unit:
            return strawberry.ID(await tasks.delete_task(unit, str(id), version))
