"""The Dockerfile installs only runtime dependencies and copies everything the services run.

No Docker engine here: the file is read as instructions, not built.
"""

from __future__ import annotations

import shlex
import tomllib
from pathlib import Path

import yaml

from router.compose.config import load_config

ROOT = Path(__file__).resolve().parents[2]


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    joined = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def copied() -> dict[str, str]:
    """Image path (relative to WORKDIR /app) -> context source, for every COPY."""
    result: dict[str, str] = {}
    for keyword, rest in instructions():
        if keyword != "COPY":
            continue
        *sources, target = shlex.split(rest)
        assert not any(s.startswith("--") for s in sources), rest
        for source in sources:
            if target.endswith("/") or len(sources) > 1:
                result[str(Path(target.removeprefix("./")) / Path(source).name)] = source
            else:
                result[str(Path(target.removeprefix("./")))] = source
    return {k.removeprefix("./"): v for k, v in result.items()}


def in_image(path: str) -> bool:
    return any(path == c or path.startswith(c + "/") for c in copied())


def test_image_installs_the_runtime_lock_only() -> None:
    runs = [rest for keyword, rest in instructions() if keyword == "RUN"]
    assert "pip install -r requirements.runtime.lock" in runs
    assert copied()["requirements.runtime.lock"] == "requirements.runtime.lock"
    assert "requirements.lock" not in copied()
    assert not any("requirements.lock" in run for run in runs)


def test_image_has_every_package_and_the_schema() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = project["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    for package in [*packages, "schema", "pyproject.toml", "README.md"]:
        assert in_image(package), package
    assert in_image("schema/supergraph.graphql")


def test_image_has_what_the_compose_commands_read() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    router_command = compose["services"]["router"]["command"][2]
    config_path = shlex.split(router_command)[shlex.split(router_command).index("--config") + 1]
    assert in_image(config_path)
    for subgraph in load_config(ROOT / config_path, {}).subgraphs:
        assert subgraph.file is not None
        relative = subgraph.file.resolve().relative_to(ROOT)
        assert in_image(str(relative)), relative


def test_build_context_keeps_what_the_image_copies() -> None:
    ignored = {
        line.strip().rstrip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".env", ".venv", ".git"} <= ignored  # no secrets or local state in the context
    for source in copied().values():
        assert source not in ignored, source
        assert (ROOT / source).exists(), source
