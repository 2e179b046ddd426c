"""`mosaic compose`: supergraph.yaml -> schema/supergraph.graphql (Apollo's format)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from collections.abc import Iterable
from pathlib import Path

from router.compose.config import ConfigError, SupergraphConfig, load_config
from router.compose.errors import CompositionError
from router.compose.output import compose_config, write_if_changed
from router.compose.watch import WatchEvent, watch_supergraph

HELP = "compose the subgraphs of supergraph.yaml into a supergraph SDL"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=Path("supergraph.yaml"),
        help="Rover-format config (default: supergraph.yaml)",
    )
    parser.add_argument(
        "--output",
        default="schema/supergraph.graphql",
        help="where to write the supergraph; '-' for stdout",
    )
    parser.add_argument(
        "--from-running",
        action="store_true",
        help="read every SDL from its running subgraph (_service { sdl })",
    )
    parser.add_argument(
        "--watch",
        action="store_true",
        help="keep polling the running subgraphs and re-compose on change",
    )
    parser.add_argument(
        "--interval", type=float, default=1.0, help="seconds between polls with --watch (default 1)"
    )


def _print_errors(errors: Iterable[CompositionError]) -> None:
    for error in errors:
        print(f"error[{error.code}]: {error.message}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    try:
        # Rover's ${env.NAME} expansion is defined over the process environment.
        config = load_config(args.config, os.environ)
        if args.watch:
            return _watch(args, config)
        result = compose_config(config, args.from_running)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if result.supergraph_sdl is None:
        _print_errors(result.errors)
        print(f"composition failed with {len(result.errors)} error(s)", file=sys.stderr)
        return 2
    if args.output == "-":
        sys.stdout.write(result.supergraph_sdl)
        return 0
    changed = write_if_changed(Path(args.output), result.supergraph_sdl)
    print(f"{'wrote' if changed else 'unchanged'} {args.output}", file=sys.stderr)
    return 0


def _watch(args: argparse.Namespace, config: SupergraphConfig) -> int:
    def report(event: WatchEvent) -> None:
        if event.result.supergraph_sdl is None:
            _print_errors(event.result.errors)
        elif event.written:
            print(f"wrote {args.output}", file=sys.stderr)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            watch_supergraph(
                config,
                Path(args.output),
                args.interval,
                from_running=True,
                on_event=report,
            )
        )
    return 0
