"""Which subgraphs exist: every package under `subgraphs/` with an `app.py`, except `common`
and names starting with `_` (`_template`, the skeleton new subgraphs copy).

Nothing lists them by hand, so a new subgraph is picked up by `mosaic dev`, `mosaic db` and
`mosaic seed` as soon as its package exists, and its worker (a `worker.py` with
`async def run(settings)`) by `mosaic dev` and `mosaic worker`.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import subgraphs

# Dev ports are dev_base_port + offset; the router takes dev_base_port itself.
PORT_OFFSETS = {
    "users": 1,
    "tasks": 2,
    "catalog": 3,
    "bookings": 4,
    "media": 5,
    "search": 6,
    "notifications": 7,
}
ROOT = Path(subgraphs.__file__).parent

SeedFunction = Callable[[Any, Any], Awaitable[int]]


@dataclass(frozen=True)
class SubgraphInfo:
    name: str
    port_offset: int
    directory: Path

    @property
    def app_path(self) -> str:
        """The ASGI app as `module:attribute`, for uvicorn."""
        return f"subgraphs.{self.name}.app:app"

    @property
    def migrations_dir(self) -> Path | None:
        path = self.directory / "migrations"
        return path if (path / "env.py").exists() else None

    @property
    def worker_module(self) -> str | None:
        """`subgraphs.<name>.worker` when the subgraph has a worker (`async def run(settings)`:
        consumes events until cancelled), else None."""
        if not (self.directory / "worker.py").exists():
            return None
        return f"subgraphs.{self.name}.worker"

    def seed_function(self) -> SeedFunction | None:
        if not (self.directory / "seed.py").exists():
            return None
        module = importlib.import_module(f"subgraphs.{self.name}.seed")
        return cast(SeedFunction, module.seed)


def discover(root: Path = ROOT) -> list[SubgraphInfo]:
    names = sorted(
        path.parent.name
        for path in root.glob("*/app.py")
        if path.parent.name != "common"
        and not path.parent.name.startswith("_")
        and (path.parent / "__init__.py").exists()
    )
    known = sorted((n for n in names if n in PORT_OFFSETS), key=PORT_OFFSETS.__getitem__)
    extra = [n for n in names if n not in PORT_OFFSETS]
    next_offset = max(PORT_OFFSETS.values()) + 1
    found = [SubgraphInfo(n, PORT_OFFSETS[n], root / n) for n in known]
    found += [SubgraphInfo(n, next_offset + i, root / n) for i, n in enumerate(extra)]
    return found


def select(names: list[str] | None) -> list[SubgraphInfo]:
    """The named subgraphs (all when `names` is empty); unknown names raise SystemExit."""
    available = discover()
    if not names:
        return available
    by_name = {info.name: info for info in available}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise SystemExit(
            f"unknown subgraph(s): {', '.join(unknown)}; known: {', '.join(by_name) or 'none'}"
        )
    return [by_name[n] for n in names]
