"""The notifications migrations build exactly the models' tables (SQLite and PostgreSQL)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection

from db import Database, migrations
from subgraphs.notifications import MIGRATIONS
from subgraphs.notifications.models import Base


async def test_migration_head_matches_the_models(
    notifications_db: Database, database_url: str
) -> None:
    current = await migrations.current(database_url, MIGRATIONS, "notifications")
    assert current == migrations.head(MIGRATIONS, "notifications")

    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with notifications_db.engine.connect() as connection:
        diff = await connection.run_sync(differences)
    # The version table is Alembic's own; everything else must match exactly.
    assert [d for d in diff if "alembic_version" not in str(d)] == []
