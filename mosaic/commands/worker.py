"""`mosaic worker NAME`: run a subgraph's worker (`subgraphs/NAME/worker.py`) until stopped.

A worker is `async def run(settings: Settings) -> None` that consumes events (search indexing,
notification delivery) and returns only when cancelled; SIGINT or SIGTERM cancels it.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import signal
from collections.abc import Awaitable, Callable
from typing import Any, cast

HELP = "run a subgraph's worker (subgraphs/NAME/worker.py) until SIGINT/SIGTERM"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("subgraph", metavar="SUBGRAPH", help="the subgraph whose worker to run")


def run(args: argparse.Namespace) -> int:
    from mosaic.subgraphs import select
    from subgraphs.common.settings import get_settings

    (info,) = select([args.subgraph])
    if info.worker_module is None:
        print(f"mosaic worker: subgraph {info.name} has no worker.py")
        return 1
    settings = get_settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s"
    )
    module = importlib.import_module(info.worker_module)
    work = cast(Callable[[Any], Awaitable[None]], module.run)
    return asyncio.run(_until_stopped(work(settings)))


async def _until_stopped(work: Awaitable[None]) -> int:
    task = asyncio.ensure_future(work)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, task.cancel)
    try:
        await task
    except asyncio.CancelledError:
        return 0
    return 0
