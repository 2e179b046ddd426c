"""One supergraph's serving state and the request pipeline:
prepare (cached) -> variables -> plan (cached) -> execute -> shape -> response."""

from __future__ import annotations

import asyncio
import logging
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import ExecutionResult, execute, get_variable_values, value_from_ast_untyped

from router.auth import authorization
from router.auth.jwt import Claims
from router.auth.policy import PolicyHook, load_policy_hook
from router.executor import Executor, SubgraphClients
from router.executor.signing import Signer
from router.server.prepare import Prepared, Preparer, RequestError
from router.settings import RouterSettings
from router.supergraph import Supergraph

log = logging.getLogger("mosaic.router")
PERCENT_LABEL = re.compile(r"^percent\((\d+(?:\.\d+)?)\)$")


@dataclass(frozen=True)
class GraphQLRequest:
    query: str
    operation_name: str | None
    variables: Mapping[str, Any]
    headers: tuple[tuple[str, str], ...]  # propagated to subgraphs
    caller: str  # its Authorization; with `headers`, what identifies the caller for coalescing
    method: str = "POST"
    want_plan: bool = False
    claims: Claims | None = None  # the caller's verified token, when JWT auth is on


@dataclass
class Response:
    status: int
    body: dict[str, Any]
    _encoded: bytes | None = None

    def encoded(self) -> bytes:
        """The JSON body, serialized once even when coalesced clients share this response."""
        if self._encoded is None:
            self._encoded = orjson.dumps(self.body)
        return self._encoded


class RouterState:
    """Everything that depends on one supergraph; swapped whole on hot reload."""

    def __init__(self, supergraph: Supergraph, settings: RouterSettings) -> None:
        self.supergraph = supergraph
        self.settings = settings
        self.preparer = Preparer(supergraph, settings.cache_size, settings.introspection)
        overrides = settings.subgraph_urls
        self.clients = SubgraphClients(
            {g.name: overrides.get(g.name, g.url) for g in supergraph.graphs.values()},
            timeout=settings.subgraph_timeout,
            dedup=settings.dedup_subgraph_requests,
            max_connections=settings.max_connections_per_subgraph,
            signer=Signer(settings.signing_key) if settings.signing_key else None,
            retries=settings.subgraph_retries,
            backoff=settings.subgraph_retry_backoff,
            breaker_failures=settings.breaker_failures,
            breaker_seconds=settings.breaker_open_seconds,
        )
        abstract = frozenset(
            name for name, t in supergraph.types.items() if t.kind in ("interface", "union")
        )
        self.executor = Executor(
            self.clients,
            supergraph.possible,
            abstract,
            settings.include_subgraph_errors,
            batch=settings.batch_entity_fetches,
        )
        self.policy_hook: PolicyHook | None = load_policy_hook(settings.policy_hook)
        self.labels = frozenset(settings.override_labels)
        self.percent_labels = tuple(
            (label, float(m.group(1)))
            for label in _override_labels(supergraph)
            if (m := PERCENT_LABEL.match(label)) is not None
        )
        self.inflight = 0
        self._coalesced: dict[
            tuple[str, str | None, bytes, str, tuple[tuple[str, str], ...]],
            asyncio.Future[Response],
        ] = {}

    def enabled_labels(self) -> frozenset[str]:
        if not self.percent_labels:
            return self.labels
        rolled = {label for label, pct in self.percent_labels if random.random() * 100 < pct}
        return self.labels | rolled

    async def handle(self, request: GraphQLRequest) -> Response:
        try:
            return await self._coalesce(request)
        except Exception:  # a bug, not bad input: report it as a GraphQL error, log the trace
            log.exception("request failed")
            error = {
                "message": "Internal server error",
                "extensions": {"code": "INTERNAL_SERVER_ERROR"},
            }
            return Response(500, {"errors": [error]})

    async def _coalesce(self, request: GraphQLRequest) -> Response:
        self.inflight += 1
        try:
            try:
                prepared = self.preparer.prepare(request.query, request.operation_name)
                if prepared.kind == "subscription":  # the streaming transports subscribe
                    raise RequestError(
                        "Subscriptions need a streaming transport: a websocket "
                        "(graphql-transport-ws), text/event-stream or multipart/mixed.",
                        "BAD_REQUEST",
                    )
                if request.method == "GET" and prepared.kind != "query":
                    raise RequestError(
                        "Mutations cannot be sent with GET; use POST.", "METHOD_NOT_ALLOWED", 405
                    )
            except RequestError as error:
                return Response(error.status, {"errors": [_request_error(error)]})
            # Only queries are shared: two identical mutations are two writes.
            if not self.settings.coalesce_queries or request.want_plan or prepared.kind != "query":
                return await self._handle(request, prepared)
            key = (
                request.query,
                request.operation_name,
                orjson.dumps(request.variables, option=orjson.OPT_SORT_KEYS),
                request.caller,
                request.headers,
            )
            future = self._coalesced.get(key)
            if future is not None:
                return await asyncio.shield(future)
            future = asyncio.get_running_loop().create_future()
            self._coalesced[key] = future
            try:
                response = await self._handle(request, prepared)
                future.set_result(response)
                return response
            except BaseException as error:
                future.set_exception(error)
                future.exception()
                raise
            finally:
                self._coalesced.pop(key, None)
        finally:
            self.inflight -= 1

    async def _handle(self, request: GraphQLRequest, prepared: Prepared) -> Response:
        try:
            variables = self.variables(prepared, request.variables)
        except RequestError as error:
            return Response(error.status, {"errors": [_request_error(error)]})
        data: dict[str, Any] = {}
        errors: list[dict[str, Any]] = []
        extensions: dict[str, Any] = {}
        if prepared.has_plan_fields:
            refused: tuple[int, ...] = ()
            guards = prepared.guards
            if guards is not None:
                refused = await self._refused(guards, request.claims)
            try:
                if guards is not None and refused:
                    errors = authorization.errors(guards, refused)
                    plan = self.preparer.restricted_plan(prepared, refused, self.enabled_labels())
                else:
                    plan = self.preparer.plan(prepared, self.enabled_labels())
            except RequestError as error:
                return Response(error.status, {"errors": [_request_error(error)]})
            if plan is not None:
                if request.want_plan:
                    extensions["queryPlan"] = plan.pretty()
                state = await self.executor.execute(plan, variables, request.headers)
                data = state.data
                errors += state.errors
        if prepared.introspection is not None:
            data.update(self._introspect(prepared, variables, errors))
        shaped, problems = prepared.shaper.shape(data, variables)
        body: dict[str, Any] = {}
        if errors:
            body["errors"] = errors
        body["data"] = shaped
        if problems:
            extensions["valueCompletion"] = problems
        if extensions:
            body["extensions"] = extensions
        return Response(200, body)

    async def _refused(self, found: authorization.Guards, claims: Claims | None) -> tuple[int, ...]:
        """The guards this caller does not pass (policies asked of the policy hook)."""
        granted: frozenset[str] = frozenset()
        if found.policies and self.policy_hook is not None:
            granted = await self.policy_hook(found.policies, claims)
        caller = authorization.Caller(
            authenticated=claims is not None,
            scopes=claims.scopes if claims is not None else frozenset(),
            policies=granted,
        )
        return authorization.denied(found, caller)

    def variables(self, prepared: Prepared, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Validate variables against their definitions; fill in defaults the client omitted."""
        if not prepared.variable_definitions:
            return dict(raw)
        coerced = get_variable_values(
            self.supergraph.api_schema, prepared.variable_definitions, dict(raw)
        )
        if isinstance(coerced, list):
            raise RequestError(coerced[0].message, "BAD_USER_INPUT", 400)
        values: Any = getattr(coerced, "coerced", coerced)  # graphql-core 3.3 wraps the dict
        out = dict(raw)
        for definition in prepared.variable_definitions:
            name = definition.variable.name.value
            if name not in out and definition.default_value is not None and name in values:
                out[name] = value_from_ast_untyped(definition.default_value)
        return out

    def _introspect(
        self, prepared: Prepared, variables: dict[str, Any], errors: list[dict[str, Any]]
    ) -> dict[str, Any]:
        assert prepared.introspection is not None
        result = execute(
            self.supergraph.api_schema, prepared.introspection, variable_values=variables
        )
        assert isinstance(result, ExecutionResult)
        for error in result.errors or ():
            errors.append(dict(error.formatted))
        return result.data or {}

    async def close(self) -> None:
        await self.clients.close()


def _request_error(error: RequestError) -> dict[str, Any]:
    return {"message": error.message, "extensions": {"code": error.code}}


def _override_labels(supergraph: Supergraph) -> set[str]:
    labels: set[str] = set()
    for t in supergraph.types.values():
        for f in t.fields.values():
            for s in f.sources.values():
                if s.override_label:
                    labels.add(s.override_label)
    return labels
