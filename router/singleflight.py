"""Share identical in-flight work: the first caller runs it, callers meanwhile await its result.

The one helper behind every in-flight sharing site of the router: client query coalescing
(router/pipeline/runner.py), subgraph request deduplication (router/executor/client.py) and the
preparation of a new document (router/pipeline/prepare.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SingleFlight(Generic[K, V]):
    def __init__(self) -> None:
        self._inflight: dict[K, asyncio.Future[V]] = {}

    def __contains__(self, key: object) -> bool:
        return key in self._inflight

    def __len__(self) -> int:
        return len(self._inflight)

    async def run(self, key: K, work: Callable[..., Awaitable[V]], *args: object) -> V:
        """`await work(*args)`, unless the same key is in flight: then its result (or error).
        A waiter that is cancelled does not cancel the shared work (`shield`)."""
        future = self._inflight.get(key)
        if future is not None:
            return await asyncio.shield(future)
        future = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            result = await work(*args)
        except BaseException as error:
            if not future.done():
                future.set_exception(error)
                future.exception()  # mark retrieved: waiters re-raise it themselves
            raise
        else:
            future.set_result(result)
            return result
        finally:
            del self._inflight[key]
