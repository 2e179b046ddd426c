"""Run one subgraph's Alembic migrations against one database URL.

Each subgraph keeps its versions in `subgraphs/<name>/migrations/` with a three-line `env.py`
that calls `db.alembic_env.run_migrations(metadata)`. The runner opens the async connection
itself and hands Alembic the sync side, so it works inside a running event loop (tests, the
dev supervisor) and from the `alembic` command line alike.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from db.engine import create_engine


def version_table(subgraph: str) -> str:
    # One version table per subgraph, so subgraphs may also share a database safely.
    return f"alembic_version_{subgraph}"


def alembic_config(migrations_dir: Path, subgraph: str, url: str = "") -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["version_table"] = version_table(subgraph)
    return config


async def upgrade(url: str, migrations_dir: Path, subgraph: str, revision: str = "head") -> None:
    config = alembic_config(migrations_dir, subgraph, url)
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_run, config, lambda: command.upgrade(config, revision))
    finally:
        await engine.dispose()


async def downgrade(url: str, migrations_dir: Path, subgraph: str, revision: str) -> None:
    config = alembic_config(migrations_dir, subgraph, url)
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_run, config, lambda: command.downgrade(config, revision))
    finally:
        await engine.dispose()


async def current(url: str, migrations_dir: Path, subgraph: str) -> str | None:
    """The revision the database is at (None when never migrated)."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: MigrationContext.configure(
                    sync, opts={"version_table": version_table(subgraph)}
                ).get_current_revision()
            )
    finally:
        await engine.dispose()


def head(migrations_dir: Path, subgraph: str) -> str | None:
    script = ScriptDirectory.from_config(alembic_config(migrations_dir, subgraph))
    return script.get_current_head()


async def autogenerate(migrations_dir: Path, subgraph: str, message: str) -> None:
    """Write a new revision: the diff between the models and a scratch database at head."""
    with tempfile.TemporaryDirectory(prefix="mosaic-revision-") as scratch:
        url = f"sqlite+aiosqlite:///{scratch}/scratch.db"
        await upgrade(url, migrations_dir, subgraph)
        config = alembic_config(migrations_dir, subgraph, url)
        engine = create_engine(url)
        try:
            async with engine.begin() as connection:
                await connection.run_sync(
                    _run,
                    config,
                    lambda: command.revision(config, message=message, autogenerate=True),
                )
        finally:
            await engine.dispose()


def _run(connection: Connection, config: Config, action: object) -> None:
    config.attributes["connection"] = connection
    assert callable(action)
    action()
