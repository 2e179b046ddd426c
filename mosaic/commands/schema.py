"""`mosaic schema export`: each subgraph's SDL from its Strawberry schema, into schema/."""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from router.compose.output import write_if_changed

HELP = "export each subgraph's SDL (schema/subgraphs/<name>.graphql)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    export = actions.add_parser("export", help="write schema/subgraphs/<name>.graphql")
    export.add_argument("--output-dir", type=Path, default=Path("schema/subgraphs"))
    export.add_argument("--subgraphs-dir", type=Path, default=Path("subgraphs"))
    export.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if a committed file differs from the code",
    )


def discover(subgraphs_dir: Path) -> list[str]:
    """Subgraph packages: subgraphs/<name>/schema.py (common/ is shared code, not a subgraph)."""
    return sorted(
        p.parent.name
        for p in subgraphs_dir.glob("*/schema.py")
        if p.parent.name != "common" and not p.parent.name.startswith("_")
    )


def subgraph_sdl(name: str) -> str:
    """The SDL a subgraph answers to `_service { sdl }`: its federation schema, printed."""
    module = importlib.import_module(f"subgraphs.{name}.schema")
    return str(module.schema.as_str()).rstrip("\n") + "\n"


def export(output_dir: Path, subgraphs_dir: Path, check: bool) -> list[str]:
    """Write (or with `check`, compare) every SDL; returns the names that differed."""
    differing = []
    for name in discover(subgraphs_dir):
        path = output_dir / f"{name}.graphql"
        sdl = subgraph_sdl(name)
        current = path.read_text() if path.exists() else None
        if current != sdl:
            differing.append(name)
            if not check:
                write_if_changed(path, sdl)
    return differing


def run(args: argparse.Namespace) -> int:
    differing = export(args.output_dir, args.subgraphs_dir, args.check)
    for name in differing:
        verb = "differs from the code" if args.check else "written"
        print(f"{args.output_dir / (name + '.graphql')} {verb}", file=sys.stderr)
    if args.check and differing:
        print("run `mosaic schema export` and commit the result", file=sys.stderr)
        return 1
    return 0
