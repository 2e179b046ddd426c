"""Federated subscriptions: one upstream subscription per distinct (operation, variables,
identity), shared by every client that asked for it; each upstream event runs the rest of the
plan (entity fetches) once, is shaped once, and is fanned out to the subscribers' queues.

On a supergraph reload a subscription whose operation still validates and plans keeps flowing
(resubscribing upstream only when its primary fetch changed); the others end with an error."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import orjson

from router.pipeline import Executable, GraphQLRequest, Pipeline, RequestError
from router.planner import SubscriptionNode
from router.subscriptions.queue import COMPLETED, Failed, Subscriber, Terminal
from router.subscriptions.upstream import UpstreamError, subscribe_upstream

log = logging.getLogger("mosaic.router")

SHUTDOWN = Failed(
    [{"message": "The router is shutting down.", "extensions": {"code": "SHUTTING_DOWN"}}]
)
SourceKey = tuple[str, str | None, bytes, tuple[tuple[str, str], ...], frozenset[str]]


class _Planned:
    """A subscription operation prepared and planned against one router state."""

    def __init__(self, state: Pipeline, request: GraphQLRequest, labels: frozenset[str]):
        self.state = state
        self.prepared: Executable = state.preparer.prepare_now(
            request.query, request.operation_name, labels
        )
        if self.prepared.kind != "subscription":
            raise RequestError("The operation is not a subscription.", "BAD_REQUEST")
        self.variables = state.variables(self.prepared, request.variables)
        assert self.prepared.plan is not None
        plan = self.prepared.plan.node
        assert isinstance(plan, SubscriptionNode)
        self.node: SubscriptionNode = plan
        primary = plan.primary
        self.url = state.clients.urls.get(primary.service, "")
        self.upstream_payload: dict[str, Any] = {
            "query": primary.operation,
            "variables": {
                k: self.variables[k] for k in primary.variable_usages if k in self.variables
            },
        }
        if primary.operation_name:
            self.upstream_payload["operationName"] = primary.operation_name

    def same_upstream(self, other: _Planned) -> bool:
        return (
            self.node.primary.service == other.node.primary.service
            and self.url == other.url
            and self.upstream_payload == other.upstream_payload
        )


class Source:
    """One upstream subscription and its subscribers."""

    def __init__(self, hub: Hub, key: SourceKey, request: GraphQLRequest, planned: _Planned):
        self.hub = hub
        self.key = key
        self.request = request
        self.planned = planned
        self.subscribers: set[Subscriber] = set()
        self.events = 0
        self._follow: asyncio.Task[None] | None = None
        self.task = asyncio.get_running_loop().create_task(self._run())
        hub.tasks.add(self.task)  # until it ends, upstream socket closed (sources may be gone)
        self.task.add_done_callback(hub.tasks.discard)

    async def _run(self) -> None:
        end: Terminal = COMPLETED
        try:
            while True:
                self._follow = asyncio.get_running_loop().create_task(self._upstream())
                await asyncio.wait({self._follow})
                if not self._follow.cancelled():
                    self._follow.result()  # raises what ended it
                    break
                # cancelled by `reload` for a new primary fetch: subscribe again
        except UpstreamError as error:
            end = Failed(error.errors)
        except RequestError as error:
            end = Failed([{"message": error.message, "extensions": {"code": error.code}}])
        except asyncio.CancelledError:
            if self._follow is not None:
                self._follow.cancel()
            for subscriber in tuple(self.subscribers):  # only at shutdown: nobody is left waiting
                subscriber.finish(SHUTDOWN)
            raise
        except Exception:  # a bug: the clients get an error and `complete`, never a hang
            log.exception("subscription source failed")
            end = Failed([{"message": "Internal server error",
                           "extensions": {"code": "INTERNAL_SERVER_ERROR"}}])  # fmt: skip
        finally:
            self.hub.forget(self)
        for subscriber in tuple(self.subscribers):
            subscriber.finish(end)

    async def _upstream(self) -> None:
        planned = self.planned
        request = self.request
        service = planned.node.primary.service
        events = subscribe_upstream(
            service,
            planned.url,
            planned.upstream_payload,
            request.headers,
            self.hub.timeout,
            signer=self.hub.current().clients.signer,
        )
        async with contextlib.aclosing(events):
            async for event in events:
                if self.hub.current() is not planned.state:
                    self.reload()  # raises when the operation no longer validates
                    if self._follow is not None and self._follow.cancelling():
                        return
                    planned = self.planned
                await self._emit(planned, event)

    async def _emit(self, planned: _Planned, event: dict[str, Any]) -> None:
        state = planned.state
        state.inflight += 1  # the state's clients stay open while the event is fetched for
        try:
            execution = await state.executor.execute_event(
                planned.node,
                event,
                planned.variables,
                self.request.headers,
                planned.prepared.representations,
            )
        finally:
            state.inflight -= 1
        shaped, problems = planned.prepared.shaper.shape(execution.data, planned.variables)
        body: dict[str, Any] = {}
        if execution.errors:
            body["errors"] = execution.errors
        body["data"] = shaped
        if problems:
            body["extensions"] = {"valueCompletion": problems}
        encoded = orjson.dumps(body)
        self.events += 1
        for subscriber in tuple(self.subscribers):
            subscriber.push(encoded)

    def reload(self) -> None:
        """Re-plan on the current state: raises RequestError when the operation no longer
        validates or plans; restarts the upstream subscription when its primary changed."""
        state = self.hub.current()
        if state is self.planned.state:
            return
        planned = _Planned(state, self.request, self.key[4])
        restart = not planned.same_upstream(self.planned)
        self.planned = planned
        if restart and self._follow is not None:
            self._follow.cancel()

    def detach(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)
        self.hub.subscribers -= 1
        if not self.subscribers:
            self.hub.forget(self)
            self.task.cancel()


class Hub:
    def __init__(
        self,
        current: Callable[[], Pipeline],
        *,
        queue_limit: int,
        max_subscriptions: int,
        timeout: float,
    ) -> None:
        self.current = current
        self.queue_limit = queue_limit
        self.max_subscriptions = max_subscriptions
        self.timeout = timeout
        self.sources: dict[SourceKey, Source] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.subscribers = 0

    def subscribe(self, request: GraphQLRequest) -> Subscriber:
        """A new subscriber to the (possibly shared) source of `request`. Raises RequestError
        for an invalid operation or past the process's subscription limit."""
        if self.subscribers >= self.max_subscriptions:
            raise RequestError(
                f"The router holds its maximum of {self.max_subscriptions} subscriptions; "
                "try again later.",
                "SUBSCRIPTION_LIMIT",
                503,
            )
        state = self.current()
        labels = state.enabled_labels()
        key: SourceKey = (
            request.query,
            request.operation_name,
            orjson.dumps(request.variables, option=orjson.OPT_SORT_KEYS),
            request.headers,
            labels,
        )
        source = self.sources.get(key)
        if source is None or source.planned.state is not state:
            planned = _Planned(state, request, labels)
            if source is None:
                source = self.sources[key] = Source(self, key, request, planned)
        subscriber = Subscriber(self.queue_limit)
        source.subscribers.add(subscriber)
        subscriber.on_close = source.detach
        self.subscribers += 1
        return subscriber

    def forget(self, source: Source) -> None:
        if self.sources.get(source.key) is source:
            del self.sources[source.key]

    def reloaded(self) -> None:
        """After a supergraph swap: re-plan every live source now, ending the invalid ones."""
        for source in tuple(self.sources.values()):
            try:
                source.reload()
            except RequestError as error:
                errors = [{"message": error.message, "extensions": {"code": error.code}}]
                self.forget(source)
                source.task.cancel()
                for subscriber in tuple(source.subscribers):
                    subscriber.finish(Failed(errors))

    async def close(self) -> None:
        tasks = tuple(self.tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
