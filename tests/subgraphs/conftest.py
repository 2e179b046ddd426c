"""Subgraph tests run against SQLite *and* PostgreSQL: use the `database_url` fixture."""

from __future__ import annotations

from pathlib import Path

import pytest

from subgraphs.common.settings import Settings


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database for one test: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/test.db"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings of a dev process whose data lives in the test's temp dir (no .env read)."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        env="dev",
        data_dir=tmp_path / "data",
        database_url=database_url,
        event_backend="memory",  # one process: the in-process bus (the contract suite covers all)
        jwt_hs256_secret="test-hs256-secret-0123456789abcdef",
    )
