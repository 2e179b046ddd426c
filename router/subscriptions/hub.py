"""Federated subscriptions: one upstream subscription per distinct (operation, variables,
identity), shared by every client that asked for it; each upstream event runs the rest of the
plan (entity fetches) once, is shaped once, and is fanned out to the subscribers' queues.

Authorization directives apply as to queries, through the same `auth` stage and with the
identity of `connection_init` or the HTTP request: refused nested fields are left out of the plan
and answered null with an error at their path in every event; a refused root field gets one
response (null + the error) and the subscription completes without reaching a subgraph.
Callers refused different fields never share a source.

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
from router.pipeline.types import ExecutionRequest
from router.planner import SubscriptionNode
from router.subscriptions.queue import COMPLETED, Failed, Subscriber, Terminal
from router.subscriptions.upstream import UpstreamError, subscribe_upstream

log = logging.getLogger("mosaic.router")

SHUTDOWN = Failed(
    [{"message": "The router is shutting down.", "extensions": {"code": "SHUTTING_DOWN"}}]
)
# (query, operation name, variables, headers, labels, the caller's authorization errors)
SourceKey = tuple[str, str | None, bytes, tuple[tuple[str, str], ...], frozenset[str], bytes]


class Unauthorized(Exception):
    """Every root field of the subscription is refused to this caller: `body` is its only
    response (data with the refused fields null, their errors), and nothing is subscribed."""

    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__("unauthorized subscription")
        self.body = body


class _Planned:
    """A subscription operation prepared, authorized for one caller and planned against one
    router state (`make` builds it)."""

    def __init__(
        self,
        state: Pipeline,
        prepared: Executable,
        variables: Any,
        errors: tuple[dict[str, Any], ...],
    ) -> None:
        self.state = state
        self.prepared = prepared  # without the fields the caller may not see
        self.variables = variables
        self.errors = errors  # the caller's authorization errors, added to every event
        self.denied = orjson.dumps(errors)  # callers refused the same fields may share a source
        assert prepared.plan is not None
        plan = prepared.plan.node
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

    @classmethod
    async def make(
        cls, state: Pipeline, request: GraphQLRequest, labels: frozenset[str]
    ) -> _Planned:
        """Raises RequestError (invalid, not a subscription) or Unauthorized."""
        prepared: Executable = state.preparer.prepare_now(
            request.query, request.operation_name, labels
        )
        if prepared.kind != "subscription":
            raise RequestError("The operation is not a subscription.", "BAD_REQUEST")
        variables = state.variables(prepared, request.variables)
        # The `auth` stage of queries (with its hooks): the same decision for the same caller.
        authorized = await state.auth(ExecutionRequest(request, prepared, variables))
        executable = authorized.executable
        if executable.plan is None:  # the root field itself is refused
            data, _ = executable.shaper.shape({}, variables)
            raise Unauthorized({"errors": list(authorized.errors), "data": data})
        return cls(state, executable, variables, authorized.errors)

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
        self.want_plan: set[Subscriber] = set()  # their events carry extensions.queryPlan
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
        except Unauthorized as error:  # a reloaded supergraph refuses the root field now
            end = Failed(error.body["errors"])
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
        traffic = planned.state.clients.traffic.get(service)
        events = subscribe_upstream(
            service,
            planned.url,
            planned.upstream_payload,
            request.headers,
            traffic.timeout if traffic is not None else self.hub.timeout,
            signer=self.hub.current().clients.signer,
        )
        async with contextlib.aclosing(events):
            async for event in events:
                if self.hub.current() is not planned.state:
                    await self.reload()  # raises when the operation no longer validates
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
        errors = [*planned.errors, *execution.errors]
        if errors:
            body["errors"] = errors
        body["data"] = shaped
        if problems:
            body["extensions"] = {"valueCompletion": problems}
        encoded = orjson.dumps(body)
        planned_body = encoded
        if self.want_plan:  # the plan (Subscription node, per-event fetches) for who asked
            plan = planned.prepared.plan
            assert plan is not None  # every subscription is planned (_Planned)
            extensions = {**body.get("extensions", {}), "queryPlan": plan.pretty()}
            planned_body = orjson.dumps({**body, "extensions": extensions})
        self.events += 1
        for subscriber in tuple(self.subscribers):
            subscriber.push(planned_body if subscriber in self.want_plan else encoded)

    async def reload(self) -> None:
        """Re-plan on the current state: raises RequestError when the operation no longer
        validates or plans (Unauthorized when the new supergraph refuses its root field);
        restarts the upstream subscription when its primary changed."""
        state = self.hub.current()
        if state is self.planned.state:
            return
        planned = await _Planned.make(state, self.request, self.key[4])
        if state is not self.hub.current() or self.planned.state is state:
            return  # another reload (or a newer supergraph) got there first
        restart = not planned.same_upstream(self.planned)
        self.planned = planned
        if restart and self._follow is not None:
            self._follow.cancel()

    def detach(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)
        self.want_plan.discard(subscriber)
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

    async def subscribe(self, request: GraphQLRequest) -> Subscriber:
        """A new subscriber to the (possibly shared) source of `request`. Raises RequestError
        for an invalid operation or past the process's subscription limit, Unauthorized when
        the caller may not see any root field."""
        state = self.current()
        labels = state.enabled_labels()
        planned = await _Planned.make(state, request, labels)
        key: SourceKey = (
            request.query,
            request.operation_name,
            orjson.dumps(request.variables, option=orjson.OPT_SORT_KEYS),
            request.headers,
            labels,
            planned.denied,
        )
        if self.subscribers >= self.max_subscriptions:  # after `make`, which may await
            raise RequestError(
                f"The router holds its maximum of {self.max_subscriptions} subscriptions; "
                "try again later.",
                "SUBSCRIPTION_LIMIT",
                503,
            )
        source = self.sources.get(key)
        if source is None:
            source = self.sources[key] = Source(self, key, request, planned)
        subscriber = Subscriber(self.queue_limit)
        source.subscribers.add(subscriber)
        if request.want_plan:
            source.want_plan.add(subscriber)
        subscriber.on_close = source.detach
        self.subscribers += 1
        return subscriber

    def forget(self, source: Source) -> None:
        if self.sources.get(source.key) is source:
            del self.sources[source.key]

    def reloaded(self) -> None:
        """After a supergraph swap: re-plan every live source, ending the invalid ones."""
        for source in tuple(self.sources.values()):
            task = asyncio.get_running_loop().create_task(self._reload(source))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _reload(self, source: Source) -> None:
        try:
            await source.reload()
        except (RequestError, Unauthorized) as error:
            if isinstance(error, Unauthorized):
                errors = error.body["errors"]
            else:
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
