"""`mosaic search reindex [TYPE]`: rebuild the search index from the owning subgraphs."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

HELP = "search index tools: `reindex [TYPE]` rebuilds it from the owning subgraphs"

TYPE_NAMES = {
    "product": "Product",
    "task": "Task",
    "project": "Project",
    "professional": "Professional",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    reindex = actions.add_parser(
        "reindex",
        help="read every product, project and task through the router and rebuild the index",
    )
    reindex.add_argument(
        "type",
        nargs="?",
        choices=sorted(TYPE_NAMES),
        metavar="TYPE",
        help="rebuild only this type: product, task, project or professional (default: all)",
    )
    reindex.add_argument(
        "--url",
        default=None,
        help="the router's GraphQL URL (default: http://MOSAIC_HOST:MOSAIC_DEV_BASE_PORT/graphql)",
    )


class Bar:
    """One progress line per type on stderr: `Product  [#######.....]  700/1000  350/s`."""

    WIDTH = 30

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.current: str | None = None

    def __call__(self, type: str, done: int, total: int) -> None:
        if type != self.current:
            if self.current is not None:
                sys.stderr.write("\n")
            self.current, self.started = type, time.monotonic()
        filled = self.WIDTH if total == 0 else self.WIDTH * done // total
        rate = done / max(time.monotonic() - self.started, 1e-6)
        sys.stderr.write(
            f"\r{type:<8} [{'#' * filled}{'.' * (self.WIDTH - filled)}] "
            f"{done}/{total}  {rate:,.0f}/s"
        )
        sys.stderr.flush()

    def close(self) -> None:
        if self.current is not None:
            sys.stderr.write("\n")


def run(args: argparse.Namespace) -> int:
    from subgraphs.common.settings import get_settings
    from subgraphs.search import documents, reindex
    from subgraphs.search.backends import backend_from_settings, prepare

    settings = get_settings()
    url = args.url or f"http://{settings.host}:{settings.dev_base_port}/graphql"
    types = (TYPE_NAMES[args.type],) if args.type else documents.TYPES
    token = reindex.service_token(settings)
    bar = Bar()

    async def rebuild() -> dict[str, int]:
        backend = backend_from_settings(settings)
        try:
            await prepare(backend)
            return await reindex.reindex(backend, url, token, types, bar)
        finally:
            await backend.close()

    try:
        written = asyncio.run(rebuild())
    except (reindex.ReindexError, OSError) as error:
        bar.close()
        print(f"mosaic search reindex: {error}", file=sys.stderr)
        return 1
    bar.close()
    print(", ".join(f"{count} {type.lower()}s" for type, count in written.items()) + " indexed")
    return 0
