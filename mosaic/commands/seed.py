"""`mosaic seed [SUBGRAPH...]`: write the demo data (idempotent: running it twice adds nothing)."""

from __future__ import annotations

import argparse
import asyncio

from db import Database
from mosaic.subgraphs import select
from subgraphs.common.settings import Settings, get_settings

HELP = "write demo data into each subgraph's database (idempotent)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("subgraphs", nargs="*", metavar="SUBGRAPH", help="default: all")


def run(args: argparse.Namespace) -> int:
    return asyncio.run(seed_all(get_settings(), args.subgraphs))


async def seed_all(settings: Settings, names: list[str] | None = None) -> int:
    if not settings.is_dev:
        print("mosaic seed writes demo accounts with a known password: dev only (MOSAIC_ENV=dev)")
        return 2
    for info in select(names):
        seed = info.seed_function()
        if seed is None:
            continue
        database = Database.from_url(settings.database_url_for(info.name))
        try:
            created = await seed(database, settings)
        finally:
            await database.dispose()
        print(f"{info.name}: {created} demo row(s) created")
    return 0
