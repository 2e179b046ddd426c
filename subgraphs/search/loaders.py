"""What each request of the search subgraph gets: the process's search backend (the index is
its storage; there is no row to batch-load, hits are references the router resolves)."""

from __future__ import annotations

from dataclasses import dataclass

from subgraphs.search.backends import SearchBackend


@dataclass(frozen=True)
class Loaders:
    backend: SearchBackend
