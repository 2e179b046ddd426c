"""`mosaic notifications dead-letters [--replay] [ID...]`: list the deliveries that failed
every attempt, or queue them again (all, or the given ids) for the notifications worker."""

from __future__ import annotations

import argparse
import asyncio

from db import Database
from subgraphs.common.settings import get_settings

HELP = "list or replay notification deliveries that became dead letters"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    dead = sub.add_parser("dead-letters", help="list dead letters (newest first), or replay them")
    dead.add_argument("ids", nargs="*", metavar="ID", help="only these deliveries (--replay)")
    dead.add_argument("--replay", action="store_true", help="queue them again")
    dead.add_argument("--limit", type=int, default=100, help="how many to list (default 100)")


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_dead_letters(args.replay, list(args.ids), args.limit))


async def _dead_letters(replay: bool, ids: list[str], limit: int) -> int:
    from subgraphs.notifications import NAME
    from subgraphs.notifications.delivery import dead_letters
    from subgraphs.notifications.delivery import replay as replay_letters

    database = Database.from_url(get_settings().database_url_for(NAME))
    try:
        if replay:
            count = await replay_letters(database, ids or None)
            print(f"{count} dead letter(s) queued again")
            return 0
        rows = await dead_letters(database, limit)
        for row in rows:
            print(
                f"{row.id}  {row.channel:<8} attempts={row.attempts}  "
                f"{row.updated_at:%Y-%m-%d %H:%M:%S}  {row.last_error or ''}"
            )
        print(f"{len(rows)} dead letter(s)")
        return 0
    finally:
        await database.dispose()
