"""docker-compose.yml, as Debian's `docker-compose config` resolves it: real services for every
subgraph package and the router, with the right commands, ports, settings and start order."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from mosaic.dev import point_supergraph_at
from mosaic.subgraphs import PORT_OFFSETS
from router.compose.config import load_config
from router.compose.output import compose_config
from router.settings import RouterSettings
from subgraphs.common.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
INFRASTRUCTURE = ("postgres", "redis", "elasticsearch")
# Every subgraph package: subgraphs/<name>/schema.py (what `mosaic schema export` exports).
SUBGRAPHS = sorted(
    (
        p.parent.name
        for p in (ROOT / "subgraphs").glob("*/schema.py")
        if p.parent.name != "common" and not p.parent.name.startswith("_")  # _template: a copy
    ),
    key=lambda name: PORT_OFFSETS.get(name, 99),
)
HEALTHY = {"condition": "service_healthy"}
# Every subgraph with a worker.py runs it as the service <name>-worker.
WORKERS = [name for name in SUBGRAPHS if (ROOT / "subgraphs" / name / "worker.py").exists()]


def port_of(name: str) -> int:
    return 4000 + PORT_OFFSETS[name]


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


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """No MOSAIC_* variable of this process and no .env leak into a settings object."""
    for name in list(os.environ):
        if name.startswith("MOSAIC_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(ROOT / "tests" / "docker")  # no .env here
    yield monkeypatch


def subgraph_settings(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name, value in env.items():
        monkeypatch.setenv(name, str(value))
    return Settings(_env_file=None)


def health_url(service: dict[str, Any]) -> str:
    test = service["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"], test
    code = test[3]
    start = code.index("http://")
    return code[start : code.index("'", start)]


def shell_steps(service: dict[str, Any]) -> list[list[str]]:
    """`sh -c "a && exec b"` -> [[a...], [b...]] (without `exec`)."""
    command = service["command"]
    assert command[:2] == ["sh", "-c"], command
    steps = [shlex.split(step) for step in command[2].split("&&")]
    return [step[1:] if step[0] == "exec" else step for step in steps]


def test_subgraph_packages_are_found() -> None:
    assert {"users", "tasks", "catalog"} <= set(SUBGRAPHS)


def test_services_are_the_infrastructure_the_subgraphs_and_the_router(
    config: dict[str, Any],
) -> None:
    workers = {f"{name}-worker" for name in WORKERS}
    assert set(config["services"]) == {*INFRASTRUCTURE, *SUBGRAPHS, *workers, "router"}
    for name in INFRASTRUCTURE:
        assert config["services"][name]["healthcheck"]["test"], name


@pytest.mark.parametrize("name", SUBGRAPHS)
def test_subgraph_service_migrates_then_serves_its_app(config: dict[str, Any], name: str) -> None:
    service = config["services"][name]
    port = port_of(name)
    assert service["build"]["context"] == str(ROOT)
    migrate, serve = shell_steps(service)
    assert migrate == ["mosaic", "db", "upgrade", name]
    assert serve[:2] == ["uvicorn", f"subgraphs.{name}.app:app"]
    assert (ROOT / "subgraphs" / name / "app.py").exists()
    options = dict(zip(serve[2::2], serve[3::2], strict=False))
    assert options["--host"] == "0.0.0.0"
    assert options["--port"] == str(port)
    assert options["--ws"] == "websockets-sansio"  # graphql-transport-ws subscriptions
    assert service["ports"] == [{"published": port, "target": port}]
    assert health_url(service) == f"http://127.0.0.1:{port}/ready"


@pytest.mark.parametrize("name", SUBGRAPHS)
def test_subgraph_service_settings(
    config: dict[str, Any], name: str, clean_environment: pytest.MonkeyPatch
) -> None:
    services = config["services"]
    settings = subgraph_settings(services[name]["environment"], clean_environment)
    database = f"mosaic_{name}"
    assert settings.database_url_for(name) == (
        f"postgresql+asyncpg://mosaic:mosaic@postgres:5432/{database}"
    )
    assert f"CREATE DATABASE {database};" in (ROOT / "docker" / "postgres-init.sql").read_text()
    assert settings.event_backend == "redis"
    assert settings.redis_url == "redis://redis:6379/0"
    if name == "users":
        assert not settings.jwks_url  # it signs the tokens and verifies with its own key
    else:
        assert settings.jwks_url == f"http://users:{port_of('users')}/.well-known/jwks.json"


@pytest.mark.parametrize("name", WORKERS)
def test_worker_service_runs_the_subgraphs_worker_with_its_settings(
    config: dict[str, Any], name: str
) -> None:
    worker, subgraph = config["services"][f"{name}-worker"], config["services"][name]
    assert worker["command"] == ["mosaic", "worker", name]
    assert worker["environment"] == subgraph["environment"]
    assert worker["depends_on"] == {name: HEALTHY}  # its database is migrated


@pytest.mark.parametrize("name", SUBGRAPHS)
def test_subgraph_service_starts_after_its_dependencies_are_healthy(
    config: dict[str, Any], name: str
) -> None:
    expected = {"postgres": HEALTHY, "redis": HEALTHY}
    if name != "users":
        expected["users"] = HEALTHY  # its token keys come from users' JWKS
    if name == "search":
        expected["elasticsearch"] = HEALTHY  # it indexes into Elasticsearch there
        assert config["services"][name]["environment"]["MOSAIC_ELASTICSEARCH_URL"] == (
            "http://elasticsearch:9200"
        )
    assert config["services"][name]["depends_on"] == expected


def test_router_composes_the_compose_supergraph_and_serves_it(
    config: dict[str, Any], clean_environment: pytest.MonkeyPatch
) -> None:
    router = config["services"]["router"]
    compose, serve = shell_steps(router)
    assert compose[:2] == ["mosaic", "compose"]
    compose_options = dict(zip(compose[2::2], compose[3::2], strict=True))
    assert compose_options["--config"] == "docker/supergraph.yaml"
    assert serve[:2] == ["mosaic", "router"]
    assert dict(zip(serve[2::2], serve[3::2], strict=True)) == {
        "--supergraph": compose_options["--output"]
    }
    for name, value in router["environment"].items():
        clean_environment.setenv(name, str(value))
    settings = RouterSettings(_env_file=None)
    assert (settings.host, settings.port) == ("0.0.0.0", 4000)
    assert router["ports"] == [{"published": 4000, "target": 4000}]
    assert health_url(router) == "http://127.0.0.1:4000/health"
    assert router["depends_on"] == dict.fromkeys(SUBGRAPHS, HEALTHY)


def test_compose_supergraph_is_the_committed_one_at_the_service_urls() -> None:
    compose_config_file = load_config(ROOT / "docker" / "supergraph.yaml", {})
    repository_config = load_config(ROOT / "supergraph.yaml", {})
    assert [s.name for s in compose_config_file.subgraphs] == [
        s.name for s in repository_config.subgraphs
    ]
    assert sorted(s.name for s in compose_config_file.subgraphs) == sorted(SUBGRAPHS)
    for subgraph in compose_config_file.subgraphs:
        # A service of that name serves the subgraph on that port (tests above).
        assert subgraph.routing_url == f"http://{subgraph.name}:{port_of(subgraph.name)}/graphql"
    result = compose_config(compose_config_file)
    assert result.supergraph_sdl is not None, result.errors
    committed = (ROOT / "schema" / "supergraph.graphql").read_text()
    urls = {s.name: s.routing_url for s in compose_config_file.subgraphs}
    assert result.supergraph_sdl == point_supergraph_at(committed, urls)


def test_later_subgraphs_have_a_commented_slot_and_a_database() -> None:
    compose = (ROOT / "docker-compose.yml").read_text()
    init_sql = (ROOT / "docker" / "postgres-init.sql").read_text()
    for name in PORT_OFFSETS:
        assert f"CREATE DATABASE mosaic_{name};" in init_sql, name
        if name not in SUBGRAPHS:
            assert f"  # {name}:" in compose, f"no commented slot for {name}"
