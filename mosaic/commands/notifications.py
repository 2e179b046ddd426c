"""`mosaic notifications dead-letters [--replay] [ID...]`: list the dead-letter stream of the
notifications worker (deliveries that failed every attempt), or replay its letters (all, or
the given letter or delivery ids): each delivery is queued again once and its letter removed."""

from __future__ import annotations

import argparse
import asyncio

from db import Database
from subgraphs.common.events import event_bus_from_settings
from subgraphs.common.settings import get_settings

HELP = "list or replay notification deliveries that became dead letters"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    dead = sub.add_parser("dead-letters", help="list dead letters (newest first), or replay them")
    dead.add_argument(
        "ids", nargs="*", metavar="ID", help="only these letters or deliveries (--replay)"
    )
    dead.add_argument("--replay", action="store_true", help="queue them again")
    dead.add_argument("--limit", type=int, default=100, help="how many to list (default 100)")


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_dead_letters(args.replay, list(args.ids), args.limit))


async def _dead_letters(replay: bool, ids: list[str], limit: int) -> int:
    from subgraphs.notifications import NAME
    from subgraphs.notifications.delivery import list_dead_letters
    from subgraphs.notifications.delivery import replay as replay_letters

    settings = get_settings()
    if settings.event_backend == "memory":
        print("MOSAIC_EVENT_BACKEND=memory keeps dead letters inside the worker's process")
        return 2
    database = Database.from_url(settings.database_url_for(NAME))
    bus = event_bus_from_settings(settings)
    try:
        if replay:
            count = await replay_letters(database, bus, ids or None)
            print(f"{count} dead letter(s) queued again")
            return 0
        letters = await list_dead_letters(database, bus, limit)
        for letter in letters:
            data = letter.entry.data
            print(
                f"{letter.entry.id}  delivery={letter.delivery_id}  {data.get('channel', ''):<8} "
                f"attempts={data.get('attempts')}  {data.get('failed_at', '')}  "
                f"now={letter.status or 'GONE'}  {data.get('error') or ''}"
            )
        print(f"{len(letters)} dead letter(s)")
        return 0
    finally:
        await bus.close()
        await database.dispose()
