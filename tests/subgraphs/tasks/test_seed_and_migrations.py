"""Demo data is idempotent and visible to the demo users; the migration matches the models."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, func, select

from db import Database, migrations
from subgraphs.common.demo import DEMO_USER_IDS
from subgraphs.common.settings import Settings
from subgraphs.tasks import MIGRATIONS, NAME
from subgraphs.tasks.models import Base, Project, ProjectMember, Task
from subgraphs.tasks.seed import DEMO_PROJECTS, seed
from tests.subgraphs.tasks.conftest import TasksApi


async def test_seed_twice_then_alice_sees_her_projects(
    api: TasksApi, database: Database, settings: Settings
) -> None:
    assert await seed(database, settings) == len(DEMO_PROJECTS)
    assert await seed(database, settings) == 0
    async with database.sessions() as session:
        counts = [
            await session.scalar(select(func.count()).select_from(model))
            for model in (Project, ProjectMember, Task)
        ]
    assert counts == [
        len(DEMO_PROJECTS),
        sum(len(p.members) for p in DEMO_PROJECTS),
        sum(len(p.tasks) for p in DEMO_PROJECTS),
    ]
    alice = DEMO_USER_IDS["alice"]
    data = await api.ok(
        """query ($r: [_Any!]!) { _entities(representations: $r) { ... on User {
             projects { name tasks(first: 5) { edges { node { title assignee { id } } } } }
             taskStats { total overdue completed } } } }""",
        {"r": [{"__typename": "User", "id": alice}]},
        user=alice,
    )
    (me,) = data["_entities"]
    assert [p["name"] for p in me["projects"]] == ["Website relaunch", "Mobile app"]
    assert len(me["projects"][0]["tasks"]["edges"]) == 5
    assert me["taskStats"]["total"] == 4  # tasks assigned to Alice
    assert me["taskStats"]["completed"] == 1


async def test_migration_head_matches_the_models(database_url: str, tmp_path: Path) -> None:
    await migrations.upgrade(database_url, MIGRATIONS, NAME)  # already at head: a no-op
    assert await migrations.current(database_url, MIGRATIONS, NAME) == migrations.head(
        MIGRATIONS, NAME
    )
    database = Database.from_url(database_url)

    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    try:
        async with database.engine.connect() as connection:
            diff = await connection.run_sync(differences)
    finally:
        await database.dispose()
    # The version table is Alembic's own; everything else must match exactly.
    assert [d for d in diff if "alembic_version" not in str(d)] == []
