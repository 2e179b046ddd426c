"""Demo projects and tasks for `mosaic seed` (idempotent: fixed ids, existing rows are kept).

They belong to the demo users of `subgraphs/common/demo.py`, so `me { projects { ... } }`
through the router shows them for alice, bob and the admin.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from db import Database
from db.base import utcnow
from subgraphs.common.demo import DEMO_USER_IDS
from subgraphs.common.settings import Settings
from subgraphs.tasks.domain import TaskPriority, TaskStatus
from subgraphs.tasks.models import Project, ProjectMember, Task

_NAMESPACE = uuid.UUID("2b7e5c0a-4f0e-4d51-9d0c-7a3c1f6b2e90")


def _id(name: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, name))


@dataclass(frozen=True)
class DemoTask:
    title: str
    status: TaskStatus
    priority: TaskPriority
    assignee: str | None
    due_in_days: int | None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemoProject:
    key: str
    name: str
    description: str
    owner: str
    members: tuple[str, ...]
    tasks: tuple[DemoTask, ...]


T, P, S = DemoTask, TaskPriority, TaskStatus
DEMO_PROJECTS = (
    DemoProject("website", "Website relaunch", "New site, new shop, same domain.", "alice",
                ("alice", "bob", "admin"), (
        T("Write the launch announcement", S.IN_PROGRESS, P.HIGH, "alice", 3, ("copy",)),
        T("Migrate product pages", S.TODO, P.URGENT, "bob", -2, ("shop",)),
        T("Pick a colour palette", S.DONE, P.LOW, "alice", -10, ("design",)),
        T("Set up redirects", S.TODO, P.MEDIUM, "bob", 7, ("seo",)),
        T("Accessibility review", S.TODO, P.HIGH, None, 14, ("a11y",)),
        T("Drop the old blog theme", S.CANCELLED, P.LOW, None, None),
    )),
    DemoProject("mobile", "Mobile app", "Booking and shopping on the go.", "bob",
                ("bob", "alice"), (
        T("Sign-in screen", S.DONE, P.HIGH, "bob", -5, ("auth",)),
        T("Cart screen", S.IN_PROGRESS, P.HIGH, "alice", 2, ("shop",)),
        T("Push notifications", S.TODO, P.MEDIUM, "bob", 20),
        T("Store listing", S.TODO, P.LOW, "alice", None),
    )),
    DemoProject("ops", "Ops handbook", "How we run things.", "admin", ("admin", "pro"), (
        T("On-call rota", S.TODO, P.MEDIUM, "pro", 5),
        T("Backup drill", S.DONE, P.URGENT, "admin", -1, ("infra",)),
    )),
)  # fmt: skip


async def seed(db: Database, settings: Settings) -> int:
    """Create the demo projects (with members and tasks) that are missing; returns how many."""
    del settings  # the demo data does not depend on settings
    wanted = {_id(p.key): p for p in DEMO_PROJECTS}
    async with db.sessions() as session:
        existing = set(
            (await session.scalars(select(Project.id).where(Project.id.in_(list(wanted))))).all()
        )
    missing = [p for pid, p in wanted.items() if pid not in existing]
    now = utcnow()
    async with db.transaction() as session:
        for demo in missing:
            project_id = _id(demo.key)
            created = now - timedelta(days=30) + timedelta(hours=DEMO_PROJECTS.index(demo))
            session.add(
                Project(id=project_id, name=demo.name, description=demo.description,
                        owner_id=DEMO_USER_IDS[demo.owner], created_at=created, updated_at=created)
            )  # fmt: skip
            await session.flush()
            for member in demo.members:
                session.add(ProjectMember(project_id=project_id, user_id=DEMO_USER_IDS[member],
                                          added_at=created))  # fmt: skip
            for i, task in enumerate(demo.tasks):
                task_created = created + timedelta(days=i, hours=1)
                done = task.status is TaskStatus.DONE
                session.add(
                    Task(
                        id=_id(f"{demo.key}/{task.title}"),
                        project_id=project_id,
                        title=task.title,
                        status=task.status,
                        priority=task.priority,
                        due_date=None if task.due_in_days is None
                        else (now + timedelta(days=task.due_in_days)).date(),
                        tags=list(task.tags),
                        creator_id=DEMO_USER_IDS[demo.owner],
                        assignee_id=None if task.assignee is None
                        else DEMO_USER_IDS[task.assignee],
                        created_at=task_created,
                        updated_at=task_created + timedelta(days=2) if done else task_created,
                        completed_at=task_created + timedelta(days=2, hours=i) if done else None,
                    )
                )  # fmt: skip
    return len(missing)
