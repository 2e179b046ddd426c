"""`mosaic db upgrade|current|downgrade|revision`: each subgraph's Alembic migrations."""

from __future__ import annotations

import argparse
import asyncio

from db import migrations
from mosaic.subgraphs import SubgraphInfo, select
from subgraphs.common.settings import Settings, get_settings

HELP = "apply or inspect database migrations (one database per subgraph)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    upgrade = actions.add_parser("upgrade", help="migrate to the latest revision")
    upgrade.add_argument("subgraphs", nargs="*", metavar="SUBGRAPH", help="default: all")
    current = actions.add_parser("current", help="print each database's revision")
    current.add_argument("subgraphs", nargs="*", metavar="SUBGRAPH", help="default: all")
    downgrade = actions.add_parser("downgrade", help="migrate one subgraph down to REVISION")
    downgrade.add_argument("subgraph", metavar="SUBGRAPH")
    downgrade.add_argument("revision", help="a revision id, or 'base' for an empty database")
    revision = actions.add_parser("revision", help="autogenerate a revision from the models")
    revision.add_argument("subgraph", metavar="SUBGRAPH")
    revision.add_argument("-m", "--message", required=True)


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_run(args, get_settings()))


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.action in ("upgrade", "current"):
        for info in select(args.subgraphs):
            if info.migrations_dir is None:
                continue
            url = settings.database_url_for(info.name)
            if args.action == "upgrade":
                await migrations.upgrade(url, info.migrations_dir, info.name)
            revision = await migrations.current(url, info.migrations_dir, info.name)
            print(f"{info.name}: {revision or 'empty'} ({_safe(url)})")
        return 0
    info = _with_migrations(select([args.subgraph])[0])
    assert info.migrations_dir is not None
    if args.action == "downgrade":
        url = settings.database_url_for(info.name)
        await migrations.downgrade(url, info.migrations_dir, info.name, args.revision)
        print(f"{info.name}: {await migrations.current(url, info.migrations_dir, info.name)}")
    else:
        await migrations.autogenerate(info.migrations_dir, info.name, args.message)
    return 0


def _with_migrations(info: SubgraphInfo) -> SubgraphInfo:
    if info.migrations_dir is None:
        raise SystemExit(f"subgraph {info.name} has no migrations/env.py")
    return info


def _safe(url: str) -> str:
    """The URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
