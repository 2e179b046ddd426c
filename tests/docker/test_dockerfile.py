"""The Dockerfile installs only runtime dependencies and copies everything the services run.

No Docker engine here: the file is read as instructions, not built (the playground's node
stage is replayed in a temporary directory).
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

from router.compose.config import load_config
from router.server.playground import TYPES

ROOT = Path(__file__).resolve().parents[2]
PLAYGROUND = "router/server/playground"
ASSETS = f"{PLAYGROUND}/assets"


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


def stages() -> dict[str, list[tuple[str, str]]]:
    """Each build stage's instructions (FROM first), by its `AS` name; the last is "image"."""
    found: list[list[tuple[str, str]]] = []
    for keyword, rest in instructions():
        if keyword == "FROM":
            found.append([])
        found[-1].append((keyword, rest))
    named = {}
    for stage in found[:-1]:
        image, _, name = stage[0][1].partition(" AS ")
        assert name, f"an unnamed build stage: FROM {image}"
        named[name.strip()] = stage
    return {**named, "image": found[-1]}


def copied(stage: str = "image") -> dict[str, str]:
    """Path in the stage (relative to its WORKDIR) -> source: a path of the build context, or
    `<stage>:<absolute path>` for a COPY --from another stage."""
    result: dict[str, str] = {}
    for keyword, rest in stages()[stage]:
        if keyword != "COPY":
            continue
        *sources, target = shlex.split(rest)
        origin = ""
        if sources[0].startswith("--from="):
            origin = sources.pop(0).removeprefix("--from=") + ":"
        assert not any(s.startswith("--") for s in sources), rest
        for source in sources:
            if target.endswith("/") or len(sources) > 1:
                result[str(Path(target.removeprefix("./")) / Path(source).name)] = origin + source
            else:
                result[str(Path(target.removeprefix("./")))] = origin + source
    return {k.removeprefix("./"): v for k, v in result.items()}


def in_image(path: str) -> bool:
    return any(path == c or path.startswith(c + "/") for c in copied())


def test_image_installs_the_runtime_lock_only() -> None:
    runs = [rest for keyword, rest in stages()["image"] if keyword == "RUN"]
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
    for stage in stages():
        for source in copied(stage).values():
            if ":" in source:  # from another stage, not from the context
                continue
            assert source not in ignored, source
            assert (ROOT / source).exists(), source
    # The image's playground assets come from its own build stage, never a local build.
    assert ASSETS in ignored


def test_image_builds_the_playground_assets_in_a_node_stage() -> None:
    stage = stages()["playground"]
    assert stage[0][1].startswith("node:")
    workdir = next(rest for keyword, rest in stage if keyword == "WORKDIR")
    assert copied()[ASSETS] == f"playground:{workdir}/assets"
    sources = set(copied("playground").values())
    assert {f"{PLAYGROUND}/package.json", f"{PLAYGROUND}/package-lock.json"} <= sources
    assert f"{PLAYGROUND}/build.sh" in sources  # the one script `make playground` runs too


@pytest.mark.peers
def test_the_playground_stage_builds_every_asset_the_router_serves(tmp_path: Path) -> None:
    """The stage replayed from a clean copy of its inputs (no Docker engine here): COPY into a
    fresh WORKDIR, then its RUN steps there; the router's playground then finds every file."""
    stage = stages()["playground"]
    workdir = tmp_path / "build"
    workdir.mkdir()
    for target, source in copied("playground").items():
        shutil.copy(ROOT / source, workdir / target)
    for keyword, rest in stage:
        if keyword == "RUN":
            subprocess.run(["sh", "-c", rest], cwd=workdir, check=True, timeout=600)
    assets = workdir / "assets"
    assert sorted(p.name for p in assets.iterdir()) == sorted([*TYPES, "graphiql.LICENSE"])
    for name in TYPES:
        assert (assets / name).stat().st_size > 1000, name
