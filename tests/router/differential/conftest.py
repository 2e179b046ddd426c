"""Session fixtures of the differential suite: the reference and candidate sides, started once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.router.differential.harness import Differential, differential, target_from_env
from tests.router.differential.processes import PEERS, hive_binary, mosaic_router_available


def skip_reason(target: str) -> str | None:
    """Why the suite cannot run here, or None (a failure for the default target)."""
    if not (PEERS / "@apollo" / "gateway").exists():
        return "npm peers are not installed (run `make peers`)"
    if target == "mosaic":
        ok, why = mosaic_router_available()
        if not ok:
            return f"Mosaic's router is not available yet: {why}"
    if target in ("hive", "mosaic") and hive_binary() is None:
        return "hive-gateway is not installed (run `make peers`, or set MOSAIC_DIFF_HIVE_BIN)"
    return None


@pytest.fixture(scope="session")
def diff_target() -> str:
    return target_from_env()


@pytest.fixture(scope="session")
def sides(diff_target: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Differential]:
    reason = skip_reason(diff_target)
    if reason and diff_target == "mosaic":
        # `make test` installs the peers and the router is part of this checkout: the default
        # target missing a piece is a failure, never 525 silent skips.
        pytest.fail(reason)
    if reason:
        pytest.skip(reason)  # an opt-in peer target (MOSAIC_DIFF_TARGET=hive) not installed
    work: Path = tmp_path_factory.mktemp("differential")
    # Hive Gateway is the second oracle when Mosaic is the candidate.
    with differential(diff_target, work, hive=diff_target == "mosaic") as running:
        yield running
