"""`mosaic dev`: migrate, seed, and run every subgraph, their workers and the router on
embedded defaults."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

HELP = "migrate, seed and run every subgraph, worker and the router locally; Ctrl-C stops all"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "subgraphs", nargs="*", metavar="SUBGRAPH", help="run only these (default: all)"
    )
    parser.add_argument(
        "--base-port", type=int, help="router port; subgraphs follow (MOSAIC_DEV_BASE_PORT)"
    )
    parser.add_argument("--no-migrate", action="store_true", help="skip `mosaic db upgrade`")
    parser.add_argument("--no-seed", action="store_true", help="skip `mosaic seed`")
    parser.add_argument("--no-router", action="store_true", help="do not start the router")


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_run(args))


async def _run(args: argparse.Namespace) -> int:
    from db import migrations
    from mosaic.commands.seed import seed_all
    from mosaic.dev import (
        Supervisor,
        busy_ports,
        free_base_port,
        router_spec,
        subgraph_spec,
        worker_spec,
    )
    from mosaic.subgraphs import select
    from subgraphs.common.keys import dev_signing_key
    from subgraphs.common.settings import get_settings

    settings = get_settings()
    base_port = args.base_port or settings.dev_base_port
    infos = select(args.subgraphs)
    if not infos:
        print("mosaic dev: no subgraph packages found under subgraphs/")
        return 1
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if settings.is_dev and not settings.jwt_private_key:
        dev_signing_key(settings.data_dir)  # before any process starts: they all share it
    if not args.no_migrate:
        for info in infos:
            if info.migrations_dir is not None:
                url = settings.database_url_for(info.name)
                await migrations.upgrade(url, info.migrations_dir, info.name)
        print(f"mosaic dev: migrated {', '.join(i.name for i in infos)}")
    if not args.no_seed and settings.is_dev:
        await seed_all(settings, [i.name for i in infos])

    level = settings.log_level.lower()
    specs = [subgraph_spec(info, settings.host, base_port, level) for info in infos]
    router = (
        None
        if args.no_router
        else router_spec(
            settings.host,
            base_port,
            Path.cwd(),
            specs,
            settings.data_dir,
            (settings.jwt_issuer, settings.jwt_audience),
        )
    )
    if router is not None:
        specs.append(router)
    busy = busy_ports(specs)
    if busy:
        span = max(s.port for s in specs if s.port is not None) - base_port + 1
        free = free_base_port(settings.host, base_port, span)
        hint = "or pick another range with MOSAIC_DEV_BASE_PORT"
        if free is not None:
            last = free + span - 1
            hint = f"or use a free range: MOSAIC_DEV_BASE_PORT={free} (ports {free}-{last})"
        print(
            f"mosaic dev: port(s) {', '.join(map(str, busy))} already in use; "
            f"stop what uses them {hint}"
        )
        return 1
    specs += [w for w in (worker_spec(info, settings.host) for info in infos) if w is not None]
    return await Supervisor(specs, cwd=Path.cwd()).run()
