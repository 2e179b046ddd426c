"""The body of every subgraph's `migrations/env.py`: `run_migrations(Base.metadata)`."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection, MetaData

from db.engine import create_engine


def run_migrations(metadata: MetaData) -> None:
    config = context.config
    version_table = config.attributes.get("version_table", "alembic_version")
    options = {
        "target_metadata": metadata,
        "version_table": version_table,
        "render_as_batch": True,  # SQLite needs batch mode to ALTER tables
        "compare_type": True,
    }
    if context.is_offline_mode():
        context.configure(url=config.get_main_option("sqlalchemy.url"), **options)
        with context.begin_transaction():
            context.run_migrations()
        return
    connection: Connection | None = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection, options)
        return
    asyncio.run(_run_with_own_engine(config.get_main_option("sqlalchemy.url") or "", options))


def _run_on(connection: Connection, options: dict[str, object]) -> None:
    context.configure(connection=connection, **options)  # type: ignore[arg-type]
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_own_engine(url: str, options: dict[str, object]) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_run_on, options)
    finally:
        await engine.dispose()
