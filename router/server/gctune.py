"""Garbage-collector settings for a serving router process.

Measured on the federation benchmark's deep query (bench/NOTES.md): with CPython's defaults the
collector took ~19 % of the router's CPU — every ~700 net container allocations (a few per
request: orjson builds the subgraph answers as dicts and lists) it walks the young objects, and
each full collection walks the whole heap, including the supergraph and graphql-core schema that
live as long as the process. Per request almost everything is freed by reference counting, so:

- `gc.freeze()` after start-up moves the long-lived objects out of the collector's sight;
- a gen-0 threshold of 50 000 lets requests finish (and free their objects) before a collection.

Together they cut the collector to ~0-5 % of the CPU. A hot reload builds a new serving state
after the freeze; `refreeze()` (called once the old state is retired) unfreezes, collects the
old state's reference cycles and freezes again, so reloads do not leak.
"""

from __future__ import annotations

import gc

GEN0_THRESHOLD = 50_000

_tuned = False


def tune() -> None:
    """Freeze what start-up built and raise the gen-0 threshold (serving processes only: the
    uvicorn factory calls it, so in-process tests keep the interpreter's defaults)."""
    global _tuned
    gc.collect()
    gc.freeze()
    gc.set_threshold(GEN0_THRESHOLD)
    _tuned = True


def refreeze() -> None:
    """After a hot reload retired the old state: free its cycles, freeze the new state."""
    if not _tuned:
        return
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def untune(threshold: tuple[int, int, int]) -> None:
    """Back to normal collection (for tests)."""
    global _tuned
    gc.unfreeze()
    gc.set_threshold(*threshold)
    _tuned = False
