"""Stage `prepare`: a request's `Executable`, from the one LRU of prepared documents, or made by
the document stages (parse -> limits -> validate -> plan) when the document is new.

Identical new documents in flight are prepared once (single-flight). A new document longer than
`INLINE_BYTES` is prepared in a worker thread within MOSAIC_ROUTER_PREPARE_TIMEOUT
(router/pipeline/offload.py), so the event loop keeps serving everyone else meanwhile; short
ones (almost every real operation) are prepared inline, which is cheaper than a thread hop.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

from router.pipeline.cache import LRU
from router.pipeline.offload import BudgetExceeded, Offload
from router.pipeline.types import Executable, GraphQLRequest, RequestError, Source
from router.settings import RouterSettings
from router.singleflight import SingleFlight
from router.supergraph import Supergraph

INLINE_BYTES = 2048
PERCENT_LABEL = re.compile(r"^percent\((\d+(?:\.\d+)?)\)$")

Key = tuple[str, str | None, frozenset[str]]


class Prepare:
    def __init__(
        self,
        settings: RouterSettings,
        supergraph: Supergraph,
        document_stages: Callable[[Source], Executable],
    ) -> None:
        self.document_stages = document_stages
        # Keyed by the query text itself: a str hashes in C (and caches its hash), far cheaper
        # than a digest of it; one Prepare serves one supergraph, so its hash is not needed.
        self.cache: LRU[Key, Executable] = LRU(settings.cache_size)
        self.flight: SingleFlight[Key, Executable] = SingleFlight()
        self.offload = Offload(slots=1, budget=settings.prepare_timeout)
        self.prepare_timeout = settings.prepare_timeout
        self.labels = frozenset(settings.override_labels)
        self.percent_labels = tuple(
            (label, float(m.group(1)))
            for label in _override_labels(supergraph)
            if (m := PERCENT_LABEL.match(label)) is not None
        )

    def enabled_labels(self) -> frozenset[str]:
        if not self.percent_labels:
            return self.labels
        rolled = {label for label, pct in self.percent_labels if random.random() * 100 < pct}
        return self.labels | rolled

    async def __call__(self, request: GraphQLRequest) -> Executable:
        key = (request.query, request.operation_name, self.enabled_labels())
        found = self.cache.get(key)
        if found is None:
            found = await self.flight.run(key, self._prepare, key)
        if request.method == "GET" and found.kind != "query":
            raise RequestError(
                "Mutations cannot be sent with GET; use POST.",
                "METHOD_NOT_ALLOWED",
                405,
                ((b"allow", b"POST"),),
            )
        return found

    def prepare_now(
        self, query: str, operation_name: str | None, labels: frozenset[str]
    ) -> Executable:
        """The Executable for these labels, prepared inline on a miss (for callers that cannot
        await, e.g. re-planning a live subscription after a hot reload: short documents)."""
        key = (query, operation_name, labels)
        found = self.cache.get(key)
        if found is None:
            found = self.document_stages(Source(*key))
            self.cache.put(key, found)
        return found

    async def _prepare(self, key: Key) -> Executable:
        source = Source(*key)
        if len(source.query) <= INLINE_BYTES:
            executable = self.document_stages(source)
        else:
            try:
                executable = await self.offload.run(lambda: self.document_stages(source))
            except BudgetExceeded:
                raise RequestError(
                    f"Preparing the operation took longer than {self.prepare_timeout:g} s "
                    "(MOSAIC_ROUTER_PREPARE_TIMEOUT).",
                    "PREPARATION_TIMEOUT",
                    503,
                ) from None
        self.cache.put(key, executable)
        return executable


def _override_labels(supergraph: Supergraph) -> set[str]:
    labels: set[str] = set()
    for t in supergraph.types.values():
        for f in t.fields.values():
            for s in f.sources.values():
                if s.override_label:
                    labels.add(s.override_label)
    return labels
