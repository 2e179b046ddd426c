"""Hot reload: watch the supergraph file and swap the serving state without dropping requests."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from router.pipeline import HookError, Pipeline
from router.pipeline.hooks import load_hook
from router.server import gctune
from router.server.edge import Edge
from router.settings import RouterSettings
from router.supergraph import Supergraph, SupergraphError, load_supergraph

log = logging.getLogger("mosaic.router")


def _stamp(path: Path) -> tuple[float, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_mtime, stat.st_size)


class StartupError(ValueError):
    """The router cannot start: the supergraph or the settings that depend on it are wrong."""


def _unknown_overrides(supergraph: Supergraph, settings: RouterSettings) -> str | None:
    """A message when MOSAIC_ROUTER_SUBGRAPH_URLS or MOSAIC_ROUTER_TRAFFIC_SHAPING name
    subgraphs the supergraph lacks (a typo would silently configure nothing)."""
    names = {g.name for g in supergraph.graphs.values()}
    problems = []
    for setting, named in (
        ("MOSAIC_ROUTER_SUBGRAPH_URLS", settings.subgraph_urls),
        ("MOSAIC_ROUTER_TRAFFIC_SHAPING", settings.traffic_shaping.subgraphs),
    ):
        unknown = sorted(set(named) - names)
        if unknown:
            problems.append(
                f"{setting} names subgraphs the supergraph does not have: "
                f"{', '.join(unknown)} (it has: {', '.join(sorted(names))})"
            )
    return "; ".join(problems) or None


def _new_state(
    supergraph: Supergraph,
    settings: RouterSettings,
    hooks: list[Callable[..., Any]],
    edge: Edge | None,
) -> Pipeline:
    problem = _unknown_overrides(supergraph, settings)
    if problem:  # a reload may drop a subgraph its overrides still name: keep serving
        log.warning(problem)
    return Pipeline(supergraph, settings, hooks, edge)


def load_hooks(settings: RouterSettings) -> list[Callable[..., Any]]:
    try:
        return [load_hook(path) for path in settings.hooks]
    except HookError as error:
        raise StartupError(f"MOSAIC_ROUTER_HOOKS: {error}") from None


def preflight(settings: RouterSettings) -> None:
    """Fail fast, with a message a person understands, before serving starts."""
    path = Path(settings.supergraph)
    try:
        supergraph = load_supergraph(path.read_text())
    except OSError as error:
        raise StartupError(f"cannot read the supergraph {path}: {error.strerror}") from None
    except SupergraphError as error:
        raise StartupError(f"the supergraph {path} cannot be served: {error}") from None
    problem = _unknown_overrides(supergraph, settings)
    if problem:
        raise StartupError(problem)
    load_hooks(settings)


class StateHolder:
    """Holds the current `Pipeline`; requests take a reference and keep it to the end."""

    def __init__(
        self,
        settings: RouterSettings,
        hooks: list[Callable[..., Any]] | None = None,
        edge: Edge | None = None,
    ) -> None:
        self.settings = settings
        self.edge = edge  # the front door (IP lists, JWT, rate limits, APQ): one per process
        self.hooks = load_hooks(settings) if hooks is None else hooks
        self.path = Path(settings.supergraph)
        self._stamp = _stamp(self.path)
        self.current = _new_state(
            load_supergraph(self.path.read_text()), settings, self.hooks, edge
        )
        self.reloads = 0
        self._task: asyncio.Task[None] | None = None
        self._retiring: set[asyncio.Task[None]] = set()
        self.on_reload: list[Callable[[], None]] = []  # called after each swap (subscriptions)

    def start(self) -> None:
        if self.settings.hot_reload and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._watch())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
        for task in list(self._retiring):
            task.cancel()
        await self.current.close()

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.settings.reload_interval)
            self.check()

    def check(self) -> bool:
        """Reload if the file changed; a supergraph that fails to load keeps the old one."""
        stamp = _stamp(self.path)
        if stamp is None or stamp == self._stamp:
            return False
        self._stamp = stamp
        try:
            supergraph = load_supergraph(self.path.read_text())
        except (SupergraphError, OSError) as error:
            log.error("supergraph reload failed, keeping the previous one: %s", error)
            return False
        if supergraph.hash == self.current.supergraph.hash:
            return False
        old, self.current = (
            self.current,
            _new_state(supergraph, self.settings, self.hooks, self.edge),
        )
        self.reloads += 1
        log.info("supergraph reloaded (%s)", supergraph.hash)
        for listener in self.on_reload:
            listener()
        task = asyncio.get_running_loop().create_task(self._retire(old))
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)
        return True

    @staticmethod
    async def _retire(old: Pipeline) -> None:
        # In-flight requests keep their state; close its clients once they are done.
        for _ in range(600):
            if old.inflight == 0:
                break
            await asyncio.sleep(0.1)
        await old.close()
        del old
        gctune.refreeze()
