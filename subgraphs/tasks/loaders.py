"""Per-request DataLoaders of the tasks subgraph: one SQL statement per batch.

What a caller may see depends on who they are, so the loaders are built for one caller
(`Loaders.for_caller`, once per request). Each batch opens its own short session: resolvers
run concurrently and an AsyncSession must not be shared between concurrent tasks.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader

from db.base import utcnow
from subgraphs.common.app import Runtime
from subgraphs.common.auth import Caller
from subgraphs.common.pagination import Page
from subgraphs.tasks.domain import ProjectFilter, TaskFilter, TaskOrder, TaskStats
from subgraphs.tasks.models import Project, Task
from subgraphs.tasks.service import listing, stats
from subgraphs.tasks.service.listing import Partition

K = TypeVar("K")
V = TypeVar("V")
Sessions = async_sessionmaker[AsyncSession]


Arguments = tuple[TaskFilter, TaskOrder, int | None, str | None]


@dataclass(frozen=True)
class PageKey:
    """One connection request: whose tasks (a project or an assignee) and which page."""

    owner_id: str
    task_filter: TaskFilter
    order: TaskOrder
    first: int | None
    after: str | None

    def arguments(self) -> Arguments:
        return (self.task_filter, self.order, self.first, self.after)


@dataclass(frozen=True)
class UserProjectsKey:
    user_id: str
    project_filter: ProjectFilter


def today() -> date:
    return utcnow().date()


class CallerLoaders:
    """The loaders of one request, all scoped to what `caller` may see."""

    def __init__(self, sessions: Sessions, caller: Caller) -> None:
        self.sessions = sessions
        self.caller = caller
        self.project_by_id = DataLoader[str, Project | None](self._projects)
        self.task_by_id = DataLoader[str, Task | None](self._tasks)
        self.member_ids = DataLoader[str, list[str]](self._member_ids)
        self.project_stats = DataLoader[str, TaskStats](self._grouped_stats("project"))
        self.assignee_stats = DataLoader[str, TaskStats](self._grouped_stats("assignee"))
        self.user_projects = DataLoader[UserProjectsKey, list[Project]](self._user_projects)
        self.project_tasks = DataLoader[PageKey, Page[Task]](self._pages("project"))
        self.assigned_tasks = DataLoader[PageKey, Page[Task]](self._pages("assignee"))

    async def _run(self, read: Callable[[AsyncSession], Awaitable[V]]) -> V:
        async with self.sessions() as session:
            return await read(session)

    async def _projects(self, ids: Sequence[str]) -> list[Project | None]:
        return await self._run(lambda s: listing.projects_by_id(s, self.caller, ids))

    async def _tasks(self, ids: Sequence[str]) -> list[Task | None]:
        return await self._run(lambda s: listing.tasks_by_id(s, self.caller, ids))

    async def _member_ids(self, project_ids: Sequence[str]) -> list[list[str]]:
        found = await self._run(lambda s: listing.member_ids(s, project_ids))
        return [found[i] for i in project_ids]

    def _grouped_stats(
        self, group: stats.Group
    ) -> Callable[[Sequence[str]], Awaitable[list[TaskStats]]]:
        async def load(keys: Sequence[str]) -> list[TaskStats]:
            found = await self._run(
                lambda s: stats.task_stats(s, self.caller, today(), group=group, keys=keys)
            )
            return [found[k] for k in keys]

        return load

    async def _user_projects(self, keys: Sequence[UserProjectsKey]) -> list[list[Project]]:
        by_filter: dict[ProjectFilter, list[str]] = defaultdict(list)
        for key in keys:
            by_filter[key.project_filter].append(key.user_id)

        async def read(session: AsyncSession) -> dict[UserProjectsKey, list[Project]]:
            found: dict[UserProjectsKey, list[Project]] = {}
            for project_filter, user_ids in by_filter.items():
                rows = await listing.projects_of_users(
                    session, self.caller, user_ids, project_filter
                )
                for user_id, projects in rows.items():
                    found[UserProjectsKey(user_id, project_filter)] = projects
            return found

        found = await self._run(read)
        return [found[key] for key in keys]

    def _pages(
        self, partition: Partition
    ) -> Callable[[Sequence[PageKey]], Awaitable[list[Page[Task] | BaseException]]]:
        """Keys asking for the same page of different owners share one statement."""

        async def load(keys: Sequence[PageKey]) -> list[Page[Task] | BaseException]:
            by_arguments: dict[Arguments, list[str]] = defaultdict(list)
            for key in keys:
                by_arguments[key.arguments()].append(key.owner_id)
            results: dict[Arguments, dict[str, Page[Task]] | BaseException] = {}
            async with self.sessions() as session:
                for arguments, owners in by_arguments.items():
                    task_filter, order, first, after = arguments
                    try:
                        results[arguments] = await listing.task_pages(
                            session,
                            self.caller,
                            partition,
                            owners,
                            task_filter,
                            order,
                            first,
                            after,
                            today(),
                        )
                    except Exception as error:  # bad arguments fail their own fields only
                        results[arguments] = error
            out: list[Page[Task] | BaseException] = []
            for key in keys:
                result = results[key.arguments()]
                out.append(result if isinstance(result, BaseException) else result[key.owner_id])
            return out

        return load


class Loaders:
    """What the app factory builds per request; scoped to the caller on first use."""

    def __init__(self, sessions: Sessions) -> None:
        self.sessions = sessions
        self._scoped: CallerLoaders | None = None

    def for_caller(self, caller: Caller) -> CallerLoaders:
        if self._scoped is None or self._scoped.caller != caller:
            self._scoped = CallerLoaders(self.sessions, caller)
        return self._scoped


@functools.lru_cache(maxsize=8)
def read_sessions(engine: AsyncEngine) -> Sessions:
    """Sessions for reads that are one statement each (every batch here is): in autocommit
    mode, so PostgreSQL sees the SELECT alone instead of BEGIN, SELECT, ROLLBACK."""
    return async_sessionmaker(
        engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False
    )


def create_loaders(runtime: Runtime) -> Loaders:
    return Loaders(read_sessions(runtime.db.engine))
