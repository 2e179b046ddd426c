"""Dev loop: compose from the running subgraphs and re-compose when an SDL changes.

`watch_supergraph` polls each subgraph's `_service { sdl }` (or its schema file), composes
when all SDLs are known and one of them changed, and atomically rewrites the supergraph file
that the router hot-reloads. A composition error keeps the last good file and is reported.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from router.compose.compose import CompositionResult, SubgraphSource, compose
from router.compose.config import ConfigError, SubgraphConfig, SupergraphConfig, read_sdl
from router.compose.output import write_if_changed

log = logging.getLogger("mosaic.compose")


@dataclass(frozen=True)
class WatchEvent:
    """One composition attempt: whether the file was written, and the result."""

    written: bool
    result: CompositionResult


class SupergraphWatcher:
    """Keeps `output` composed from the subgraphs of `config`; call `poll()` repeatedly."""

    def __init__(
        self,
        config: SupergraphConfig,
        output: Path,
        from_running: bool = True,
        on_event: Callable[[WatchEvent], None] | None = None,
    ) -> None:
        self.config = config
        self.output = output
        self.from_running = from_running
        self.on_event = on_event
        self.sdls: dict[str, str] = {}
        self.composed: dict[str, str] | None = None
        self.unreachable: dict[str, str] = {}

    def poll(self) -> WatchEvent | None:
        """Fetch every SDL once; compose if all are known and something changed."""
        for subgraph in self.config.subgraphs:
            try:
                self.sdls[subgraph.name] = read_sdl(subgraph, self.from_running)
                self.unreachable.pop(subgraph.name, None)
            except ConfigError as exc:
                if self.unreachable.get(subgraph.name) != str(exc):
                    log.info("subgraph %s not available yet: %s", subgraph.name, exc)
                self.unreachable[subgraph.name] = str(exc)
        if len(self.sdls) < len(self.config.subgraphs) or self.sdls == self.composed:
            return None
        result = compose(
            [
                SubgraphSource(s.name, s.routing_url, self.sdls[s.name])
                for s in self.config.subgraphs
            ]
        )
        self.composed = dict(self.sdls)
        written = False
        if result.supergraph_sdl is not None:
            written = write_if_changed(self.output, result.supergraph_sdl)
            if written:
                log.info("supergraph written to %s", self.output)
        else:
            for error in result.errors:
                log.error("composition failed: %s", error)
        event = WatchEvent(written, result)
        if self.on_event is not None:
            self.on_event(event)
        return event


async def watch_supergraph(
    config: SupergraphConfig,
    output: Path,
    interval: float = 1.0,
    from_running: bool = True,
    on_event: Callable[[WatchEvent], None] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Poll forever (until `stop` is set): the function `mosaic dev` runs beside the router."""
    watcher = SupergraphWatcher(config, output, from_running, on_event)
    stop = stop or asyncio.Event()
    while not stop.is_set():
        await asyncio.to_thread(watcher.poll)
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
        except TimeoutError:
            pass


def running_config(
    subgraphs: Mapping[str, str], path: Path = Path("supergraph.yaml")
) -> SupergraphConfig:
    """A config for subgraphs the caller runs: name -> GraphQL URL (routing and introspection)."""
    return SupergraphConfig(
        path,
        None,
        tuple(
            SubgraphConfig(name=name, routing_url=url, subgraph_url=url)
            for name, url in sorted(subgraphs.items())
        ),
    )


async def watch_running_subgraphs(
    subgraphs: Mapping[str, str],
    output: Path,
    stop: asyncio.Event,
    interval: float = 1.0,
    on_event: Callable[[WatchEvent], None] | None = None,
) -> None:
    """For a dev supervisor: keep `output` composed from the subgraphs it started.

    `subgraphs` maps each name to the URL it runs at (`http://127.0.0.1:4001/graphql`); that
    URL is both introspected and written as the routing URL. Returns when `stop` is set.
    """
    await watch_supergraph(
        running_config(subgraphs), output, interval, from_running=True, on_event=on_event,
        stop=stop,
    )  # fmt: skip
