"""`mosaic check`: compose, then compare the API with a baseline supergraph.

Exit codes: 0 no breaking change (or --allow-breaking), 1 breaking changes, 2 composition or
configuration error, including a baseline that is neither a file nor a commit (a typo must not
pass CI). A commit without the supergraph file (from before composition existed) is no baseline:
nothing to compare, exit 0.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from router.compose.checks import CheckReport, compare_supergraphs
from router.compose.config import ConfigError, load_config
from router.compose.output import compose_config
from router.federation import SupergraphError

HELP = "compose and report breaking/dangerous changes against a git ref or a supergraph file"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, default=Path("supergraph.yaml"))
    parser.add_argument(
        "--against",
        default="HEAD",
        help="a git ref (its schema/supergraph.graphql) or a supergraph file (default: HEAD)",
    )
    parser.add_argument(
        "--supergraph-path",
        default="schema/supergraph.graphql",
        help="where the supergraph lives in the repository",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument(
        "--allow-breaking", action="store_true", help="report breaking changes but exit 0"
    )


class BaselineError(ValueError):
    """--against names neither a file nor a commit."""


def load_baseline(
    against: str, supergraph_path: str, cwd: Path | None = None
) -> tuple[str | None, str]:
    """(old supergraph SDL or None, a description of where it came from or why it's missing).

    Raises BaselineError when `against` is neither a file nor a commit."""
    candidate = (cwd or Path()) / against
    if candidate.is_file():
        return candidate.read_text(), against
    verify = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{against}^{{commit}}"],
        capture_output=True,
        text=True,
        cwd=cwd,
    )
    if verify.returncode != 0:
        raise BaselineError(
            f"--against {against}: neither a file nor a commit in this repository"
            " (a typo, a shallow clone, or the first commit?)"
        )
    commit = verify.stdout.strip()
    shown = subprocess.run(
        ["git", "show", f"{commit}:./{supergraph_path}"], capture_output=True, text=True, cwd=cwd
    )
    if shown.returncode != 0:
        return None, f"{supergraph_path} does not exist at {against}"
    return shown.stdout, f"{against}:{supergraph_path}"


def run_check(
    config_path: Path, against: str, supergraph_path: str, cwd: Path | None = None
) -> tuple[CheckReport, list[str]]:
    """The report, or composition errors (as printable lines) when composition fails."""
    # Rover's ${env.NAME} expansion is defined over the process environment.
    config = load_config(config_path, os.environ)
    result = compose_config(config)
    if result.supergraph_sdl is None:
        return CheckReport(), [f"error[{e.code}]: {e.message}" for e in result.errors]
    old, where = load_baseline(against, supergraph_path, cwd)
    if old is None:
        return CheckReport(notes=(f"no baseline: {where}; nothing to compare",)), []
    try:
        changes = compare_supergraphs(old, result.supergraph_sdl)
    except SupergraphError as exc:  # the new one was just composed: the baseline is at fault
        raise BaselineError(f"{where} is not a supergraph the router can serve: {exc}") from exc
    return CheckReport(tuple(changes), where), []


def run(args: argparse.Namespace) -> int:
    try:
        report, errors = run_check(args.config, args.against, args.supergraph_path)
    except (ConfigError, BaselineError) as exc:
        errors, report = [f"error: {exc}"], CheckReport()
    if args.format == "json":
        payload = {"ok": not errors and not report.breaking, "errors": errors, **report.to_json()}
        print(json.dumps(payload, indent=2))
    else:
        _print_text(report, errors)
    if errors:
        return 2
    return 1 if report.breaking and not args.allow_breaking else 0


def _print_text(report: CheckReport, errors: list[str]) -> None:
    for line in errors:
        print(line, file=sys.stderr)
    if errors:
        print("check failed", file=sys.stderr)
        return
    for note in report.notes:
        print(note)
    if report.baseline:
        print(f"compared with {report.baseline}")
    for change in report.changes:
        print(f"{change.kind.upper():<10} {change.type}: {change.description}")
    breaking = len(report.breaking)
    print(f"{breaking} breaking, {len(report.changes) - breaking} other change(s)")
