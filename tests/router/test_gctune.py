"""The serving process's garbage-collector settings (router/server/gctune.py): start-up objects
frozen, a high gen-0 threshold, and a hot reload that still frees the retired supergraph."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from router.server import gctune
from router.server.app import create_app_from_env
from router.server.reload import StateHolder
from router.settings import RouterSettings
from tests.router.canned import case_supergraph

CASES = Path(__file__).parent / "cases"


@pytest.fixture
def restore_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    try:
        yield
    finally:
        gctune.untune(threshold)


def test_the_uvicorn_factory_freezes_start_up_objects_and_raises_the_threshold(
    restore_gc: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOSAIC_ROUTER_SUPERGRAPH", str(case_supergraph(CASES / "shop-basic")))
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    create_app_from_env()
    assert gc.get_threshold()[0] == gctune.GEN0_THRESHOLD
    # Everything start-up built (the supergraph's schema alone is thousands of objects) is out
    # of the collector's sight.
    assert gc.get_freeze_count() > 1000


async def test_a_reload_after_the_freeze_frees_the_retired_supergraph(
    restore_gc: None, tmp_path: Path
) -> None:
    path = tmp_path / "supergraph.graphql"
    path.write_text(case_supergraph(CASES / "shop-basic").read_text())
    holder = StateHolder(RouterSettings(supergraph=str(path), hot_reload=False))
    # Product <-> Review reference each other through their fields: a reference cycle.
    old_type = weakref.ref(holder.current.supergraph.schema.type_map["Product"])
    gctune.tune()
    path.write_text(case_supergraph(CASES / "mutation-serial").read_text())
    assert holder.check()
    for _ in range(100):
        if not holder._retiring:
            break
        await asyncio.sleep(0.05)
    assert not holder._retiring
    # graphql-core's types form reference cycles: only a collection can free them, and a frozen
    # object is never collected, so without refreeze() the old types would stay alive for good.
    assert old_type() is None
    await holder.stop()
