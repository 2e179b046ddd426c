"""Every subgraph setting is documented: in README "Settings" and in .env.example."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from subgraphs.common.settings import Settings

ROOT = Path(__file__).resolve().parents[3]


def test_every_setting_is_in_the_readme_and_env_example() -> None:
    readme = (ROOT / "README.md").read_text()
    env_example = (ROOT / ".env.example").read_text()
    for field in Settings.model_fields:
        name = f"MOSAIC_{field.upper()}"
        assert f"`{name}`" in readme, f"{name} missing from README Settings"
        assert f"{name}=" in readme, f"{name} has no example in README"
        assert f"# {name}=" in env_example, f"{name} missing from .env.example"


def test_settings_come_from_mosaic_variables(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MOSAIC_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MOSAIC_DEV_BASE_PORT", "5000")
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://ignored/x")  # not ours: ignored
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.dev_base_port == 5000
    assert settings.database_url_for("tasks") == f"sqlite+aiosqlite:///{tmp_path}/tasks.db"
    monkeypatch.setenv("MOSAIC_DATABASE_URL", "postgresql+asyncpg://u@h/mosaic_{subgraph}")
    assert (
        Settings(_env_file=None).database_url_for("media")
        == "postgresql+asyncpg://u@h/mosaic_media"
    )  # type: ignore[call-arg]


def test_env_file_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("MOSAIC_ENV=production\nMOSAIC_LOG_LEVEL=debug\n")
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.env == "production" and not settings.is_dev
    assert settings.log_level == "debug"


def test_bad_values_are_refused() -> None:
    with pytest.raises(ValidationError):
        Settings(_env_file=None, env="staging")  # type: ignore[call-arg, arg-type]
    with pytest.raises(ValidationError):
        Settings(_env_file=None, jwt_hs256_secret="too-short")  # type: ignore[call-arg]
