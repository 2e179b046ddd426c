"""db/: engines for both backends, naming convention, per-subgraph migrations."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text

import subgraphs.users
from db import Database, create_engine, database_url_for, migrations, new_id
from tests.utils.servers import PostgresServer

USERS_MIGRATIONS = Path(subgraphs.users.__file__).parent / "migrations"


def test_database_url_template_gives_one_database_per_subgraph() -> None:
    template = "postgresql+asyncpg://u@db:5432/mosaic_{subgraph}"
    assert database_url_for(template, "tasks") == "postgresql+asyncpg://u@db:5432/mosaic_tasks"
    assert database_url_for("sqlite+aiosqlite:///x.db", "tasks") == "sqlite+aiosqlite:///x.db"


def test_unsupported_driver_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported database URL driver"):
        create_engine("mysql+aiomysql://x/y")


def test_ids_are_time_ordered_uuid7() -> None:
    ids = [new_id() for _ in range(5000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == 5000
    assert all(i[14] == "7" and i[19] in "89ab" for i in ids)


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def test_upgrade_creates_tables_with_conventional_names_and_downgrades(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = (
        f"sqlite+aiosqlite:///{tmp_path}/nested/dir/users.db"
        if backend == "sqlite"
        else str(request.getfixturevalue("postgres_url"))
    )
    assert await migrations.current(url, USERS_MIGRATIONS, "users") is None
    await migrations.upgrade(url, USERS_MIGRATIONS, "users")
    head = migrations.head(USERS_MIGRATIONS, "users")
    assert head is not None
    assert await migrations.current(url, USERS_MIGRATIONS, "users") == head
    await migrations.upgrade(url, USERS_MIGRATIONS, "users")  # idempotent

    database = Database.from_url(url)
    try:
        async with database.engine.connect() as connection:
            names = await connection.run_sync(lambda c: inspect(c).get_table_names())
            uniques = await connection.run_sync(
                lambda c: inspect(c).get_unique_constraints("users")
            )
            fks = await connection.run_sync(lambda c: inspect(c).get_foreign_keys("refresh_tokens"))
        assert {"users", "refresh_tokens", "alembic_version_users"} <= set(names)
        assert [u["name"] for u in uniques] == ["uq_users_email"]
        assert [f["name"] for f in fks] == ["fk_refresh_tokens_user_id_users"]
        await database.ping()
    finally:
        await database.dispose()

    await migrations.downgrade(url, USERS_MIGRATIONS, "users", "base")
    assert await migrations.current(url, USERS_MIGRATIONS, "users") is None
    database = Database.from_url(url)
    try:
        async with database.engine.connect() as connection:
            names = await connection.run_sync(lambda c: inspect(c).get_table_names())
        assert "users" not in names
    finally:
        await database.dispose()


async def test_transaction_rolls_back_on_error(tmp_path: Path) -> None:
    database = Database.from_url(f"sqlite+aiosqlite:///{tmp_path}/t.db")
    try:
        async with database.transaction() as session:
            await session.execute(text("CREATE TABLE t (x INTEGER)"))
        with pytest.raises(RuntimeError):
            async with database.transaction() as session:
                await session.execute(text("INSERT INTO t VALUES (1)"))
                raise RuntimeError("boom")
        async with database.sessions() as session:
            assert (await session.execute(text("SELECT count(*) FROM t"))).scalar() == 0
    finally:
        await database.dispose()


@pytest.mark.postgres
async def test_sqlite_foreign_keys_are_enforced_like_postgres(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    from sqlalchemy.exc import IntegrityError

    for url in (f"sqlite+aiosqlite:///{tmp_path}/fk.db", postgres.create_database("fk_check")):
        await migrations.upgrade(url, USERS_MIGRATIONS, "users")
        database = Database.from_url(url)
        try:
            with pytest.raises(IntegrityError):
                async with database.transaction() as session:
                    await session.execute(
                        text(
                            "INSERT INTO refresh_tokens (id, user_id, family_id, token_hash,"
                            " created_at, expires_at) VALUES ('a', 'nobody', 'f', 'h',"
                            " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                        )
                    )
        finally:
            await database.dispose()
