"""The two locks: requirements.lock (runtime + dev, for .venv) and requirements.runtime.lock
(runtime only, what the Docker image installs). `make lock` writes both."""

from __future__ import annotations

import ast
import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)$")


def pins(path: Path) -> dict[NormalizedName, str]:
    found: dict[NormalizedName, str] = {}
    for line in path.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = PIN.match(line.strip())
        assert match, f"{path.name}: not a `name==version` pin: {line!r}"
        found[canonicalize_name(match.group(1))] = match.group(2)
    return found


def pyproject() -> dict[str, object]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def runtime_requirements() -> list[str]:
    project = pyproject()["project"]
    assert isinstance(project, dict)
    return list(project["dependencies"])


def dev_requirements() -> list[str]:
    groups = pyproject()["dependency-groups"]
    assert isinstance(groups, dict)
    return list(groups["dev"])


def closure(requirements: list[str]) -> set[NormalizedName]:
    """Every distribution the requirements pull in on this interpreter (extras followed), read
    from the metadata of what .venv has installed."""
    extras_of: dict[NormalizedName, set[str]] = {}
    todo = [Requirement(r) for r in requirements]
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        known = extras_of.get(name)
        wanted = set(requirement.extras)
        if known is not None and wanted <= known:
            continue
        extras_of[name] = (known or set()) | wanted
        active = extras_of[name] | {""}
        for line in metadata.requires(name) or []:
            dependency = Requirement(line)
            marker = dependency.marker
            if marker is None or any(marker.evaluate({"extra": e}) for e in active):
                todo.append(dependency)
    return set(extras_of)


def test_runtime_lock_has_no_dev_tools() -> None:
    runtime = pins(ROOT / "requirements.runtime.lock")
    tools = {canonicalize_name(Requirement(r).name) for r in dev_requirements()}
    assert {"pytest", "mypy", "ruff", "hypothesis"} <= tools
    assert not tools & set(runtime), sorted(tools & set(runtime))


def test_runtime_lock_pins_the_same_versions_as_the_full_lock() -> None:
    runtime = pins(ROOT / "requirements.runtime.lock")
    full = pins(ROOT / "requirements.lock")
    different = {n: (v, full.get(n)) for n, v in runtime.items() if full.get(n) != v}
    assert not different, f"runtime lock vs requirements.lock (run `make lock`): {different}"


def test_runtime_lock_is_exactly_what_the_runtime_dependencies_need() -> None:
    # Stale after a change to [project.dependencies] without `make lock`: this says which.
    needed = closure(runtime_requirements())
    locked = set(pins(ROOT / "requirements.runtime.lock"))
    assert sorted(needed - locked) == [], "missing from requirements.runtime.lock"
    assert sorted(locked - needed) == [], "in requirements.runtime.lock but not needed"


def test_full_lock_covers_runtime_and_dev_dependencies() -> None:
    needed = closure(runtime_requirements() + dev_requirements())
    assert sorted(needed - set(pins(ROOT / "requirements.lock"))) == []


# Runtime dependencies no module imports, and why they are still needed.
USED_BY_NAME = {
    "asyncpg": "SQLAlchemy's driver for postgresql+asyncpg:// URLs",
    "aiosqlite": "SQLAlchemy's driver for sqlite+aiosqlite:// URLs",
    "uvloop": "uvicorn's event loop (loop='uvloop')",
    "websockets": "uvicorn's websocket protocol (--ws websockets-sansio)",
    "python-multipart": "Starlette's multipart form parser (the media subgraph's uploads)",
}


def imported_modules() -> set[str]:
    found: set[str] = set()
    for package in ("mosaic", "router", "subgraphs", "db"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    found.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    found.add(node.module.split(".")[0])
    return found


def test_every_runtime_dependency_is_imported_or_used_by_name() -> None:
    modules_of: dict[NormalizedName, set[str]] = {}
    for module, distributions in metadata.packages_distributions().items():
        for distribution in distributions:
            modules_of.setdefault(canonicalize_name(distribution), set()).add(module)
    imported = imported_modules()
    unused = []
    for requirement in runtime_requirements():
        name = canonicalize_name(Requirement(requirement).name)
        if not modules_of.get(name, set()) & imported and name not in USED_BY_NAME:
            unused.append(name)
    assert unused == [], "runtime dependencies nothing uses: drop them from pyproject.toml"
    for name in USED_BY_NAME:
        assert name in {canonicalize_name(Requirement(r).name) for r in runtime_requirements()}
