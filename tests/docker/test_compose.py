"""docker-compose.yml passes Debian's `docker-compose config` and gates startup on health."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from mosaic.subgraphs import discover

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("docker-compose is missing: `make test` installs it (apt-get)")
    result = subprocess.run(
        [binary, "-f", str(ROOT / "docker-compose.yml"), "config"],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
        env={"PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    loaded: dict[str, Any] = yaml.safe_load(result.stdout)
    return loaded


def test_infrastructure_and_users_have_health_checks(config: dict[str, Any]) -> None:
    services = config["services"]
    assert {"postgres", "redis", "elasticsearch", "users"} <= set(services)
    for name in ("postgres", "redis", "elasticsearch", "users"):
        assert services[name]["healthcheck"]["test"], name


def test_users_waits_for_healthy_dependencies(config: dict[str, Any]) -> None:
    users = config["services"]["users"]
    assert users["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    env = users["environment"]
    assert env["MOSAIC_DATABASE_URL"].endswith("/mosaic_{subgraph}")
    assert env["MOSAIC_EVENT_BACKEND"] == "redis"
    assert env["MOSAIC_SUBGRAPH"] == "users"


def test_every_subgraph_has_a_database_and_a_slot() -> None:
    compose = (ROOT / "docker-compose.yml").read_text()
    init_sql = (ROOT / "docker" / "postgres-init.sql").read_text()
    for info in discover():
        assert f"mosaic_{info.name};" in init_sql, info.name
        assert f"{info.name}" in compose, info.name
