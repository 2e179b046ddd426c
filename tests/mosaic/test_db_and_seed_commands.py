"""`mosaic db` and `mosaic seed` as a user runs them: real processes, real databases."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from db import Database, migrations
from mosaic.commands.seed import seed_all
from mosaic.subgraphs import discover
from subgraphs.common.demo import DEMO_USERS
from subgraphs.common.settings import Settings
from subgraphs.users.models import User

ROOT = Path(__file__).resolve().parents[2]


def _mosaic(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MOSAIC_")}
    return subprocess.run(
        [sys.executable, "-m", "mosaic", *args],
        cwd=cwd,
        env={**clean, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_discovery_finds_users_on_its_port() -> None:
    found = {info.name: info for info in discover()}
    assert "common" not in found
    assert found["users"].port_offset == 1
    assert found["users"].app_path == "subgraphs.users.app:app"
    assert found["users"].migrations_dir is not None


def test_db_upgrade_then_seed_twice_on_embedded_sqlite(tmp_path: Path) -> None:
    upgrade = _mosaic(tmp_path, "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    assert upgrade.stdout.startswith("users: ")
    assert (tmp_path / ".data" / "users.db").exists()
    first = _mosaic(tmp_path, "seed")
    assert first.returncode == 0, first.stderr
    assert f"users: {len(DEMO_USERS)} demo row(s) created" in first.stdout
    second = _mosaic(tmp_path, "seed")
    assert "users: 0 demo row(s) created" in second.stdout
    unknown = _mosaic(tmp_path, "db", "upgrade", "nonesuch")
    assert unknown.returncode != 0 and "unknown subgraph(s): nonesuch" in unknown.stderr
    refused = _mosaic(tmp_path, "seed", MOSAIC_ENV="production")
    assert refused.returncode == 2


@pytest.mark.postgres
async def test_seed_is_idempotent_on_postgres(postgres_url: str, tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, database_url=postgres_url)  # type: ignore[call-arg]
    users = next(info for info in discover() if info.name == "users")
    assert users.migrations_dir is not None
    await migrations.upgrade(postgres_url, users.migrations_dir, "users")
    for _ in range(2):
        assert await seed_all(settings, ["users"]) == 0
    database = Database.from_url(postgres_url)
    try:
        async with database.sessions() as session:
            count = await session.scalar(select(func.count()).select_from(User))
            ids = set((await session.scalars(select(User.id))).all())
    finally:
        await database.dispose()
    assert count == len(DEMO_USERS)
    assert ids == {u.id for u in DEMO_USERS}
