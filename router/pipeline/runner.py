"""One supergraph's serving state and the composition of the stages (swapped whole on reload).

    read -> prepare [parse -> limits -> validate -> plan, once per new document]
         -> (variables) -> auth -> execute -> shape -> respond

Each stage is wrapped by its configured hooks once, here; a refusal (`RequestError`) from any
stage or hook becomes a GraphQL error response that still goes through `respond`.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import IO, Any, Protocol

import orjson

from router.executor import Executor, SubgraphClients
from router.executor.signing import Signer
from router.executor.upload import FilePart, Uploads
from router.pipeline import log as request_log
from router.pipeline import uploads
from router.pipeline.auth import Authorize, Policies
from router.pipeline.cost import CostModel
from router.pipeline.execute import Execute, coerce_variables
from router.pipeline.hooks import by_stage, wrap
from router.pipeline.limits import Limits
from router.pipeline.parse import Parse
from router.pipeline.plan import Plan
from router.pipeline.prepare import Prepare
from router.pipeline.read import Read
from router.pipeline.respond import Respond
from router.pipeline.shape import Shape
from router.pipeline.types import (
    Executable,
    ExecutionRequest,
    GraphQLRequest,
    GraphQLResponse,
    HttpRequest,
    HttpResponse,
    RequestError,
    Source,
)
from router.pipeline.validate import Validate
from router.server.edge import Edge
from router.settings import RouterSettings
from router.singleflight import SingleFlight
from router.supergraph import Supergraph

log = logging.getLogger("mosaic.router")


class Form(Protocol):
    """A multipart request being read (router/server/multipart.py)."""

    spool: IO[bytes]

    async def head(self) -> tuple[Any, Mapping[str, list[str]]]: ...
    async def read_files(self) -> Mapping[str, FilePart]: ...


CoalesceKey = tuple[str, str | None, bytes, str, tuple[tuple[str, str], ...]]


class Pipeline:
    """Everything that depends on one supergraph: stages, caches, subgraph clients."""

    def __init__(
        self,
        supergraph: Supergraph,
        settings: RouterSettings,
        hooks: Iterable[Callable[..., Any]] = (),
        edge: Edge | None = None,
    ) -> None:
        self.supergraph = supergraph
        self.settings = settings
        self.production = settings.production
        overrides = settings.subgraph_urls
        names = [g.name for g in supergraph.graphs.values()]
        self.clients = SubgraphClients(
            {g.name: overrides.get(g.name, g.url) for g in supergraph.graphs.values()},
            dedup=settings.dedup_subgraph_requests,
            signer=Signer(settings.signing_key) if settings.signing_key else None,
            response_headers=settings.subgraph_response_headers,
            # timeout, retries, breaker and connection cap: per subgraph (traffic shaping)
            traffic={name: settings.traffic(name) for name in names},
        )
        abstract = frozenset(
            name for name, t in supergraph.types.items() if t.kind in ("interface", "union")
        )
        self.executor = Executor(
            self.clients,
            supergraph.possible,
            abstract,
            settings.subgraph_errors_included,
            batch=settings.batch_entity_fetches,
        )
        staged = by_stage(hooks)
        api = supergraph.api_schema
        parse = wrap(Parse(settings), staged["parse"])
        limits = wrap(Limits(settings, api, CostModel.of(supergraph)), staged["limits"])
        validate = wrap(Validate(api), staged["validate"])
        planner = Plan(supergraph, settings.introspection_enabled)
        plan = wrap(planner, staged["plan"])

        def document_stages(source: Source) -> Executable:
            return plan(validate(limits(parse(source))))

        self.read = wrap(Read(settings, edge), staged["read"])
        self.preparer = Prepare(settings, supergraph, document_stages)
        self.prepare = wrap(self.preparer, staged["prepare"])
        decide = wrap(Policies(settings), staged["policy"])
        self.auth = wrap(Authorize(planner, decide), staged["auth"])
        self.execute = wrap(Execute(self.executor, api), staged["execute"])
        self.shape = wrap(Shape(), staged["shape"])
        self.plain_respond = Respond()
        self.respond = wrap(self.plain_respond, staged["respond"])
        self.coalesce = settings.coalesce_queries
        self.coalesced: SingleFlight[CoalesceKey, GraphQLResponse] = SingleFlight()
        self.inflight = 0

    async def handle(self, http: HttpRequest, form: Form | None = None) -> HttpResponse:
        """One HTTP GraphQL request, from `read` to `respond`; with `form`, a multipart one
        (`upload`). One body for both, so the JSON path pays no extra call."""
        self.inflight += 1
        token = request_log.request_id.set(http.request_id)
        try:
            if form is None:
                response = await self.graphql(http)
            else:
                response = await self._upload(http, form)
            try:
                return await self.respond(response)
            except RequestError as error:  # refused by a respond hook
                return await self.plain_respond(_refusal(error, None, http))
            except Exception:
                return await self.plain_respond(self._internal_error(None, http))
        finally:
            request_log.request_id.reset(token)
            self.inflight -= 1

    async def upload(self, http: HttpRequest, form: Form) -> HttpResponse:
        """A multipart request with files (GraphQL multipart request spec), `read` to `respond`:
        `operations` and `map` are read and the operation prepared and checked before the
        files are read; the files reach the one subgraph whose fields take them."""
        return await self.handle(http, form)

    async def _upload(self, http: HttpRequest, form: Form) -> GraphQLResponse:
        request: GraphQLRequest | None = None
        try:
            operations, files_map = await form.head()
            request = await self.read(replace(http, form=operations))
            executable = await self.prepare(request)
            prepared = time.perf_counter()
            where = uploads.targets(executable, files_map, request.variables)
            files = await form.read_files()
            request = replace(
                request,
                variables=where.place(request.variables, files),
                uploads=Uploads(form.spool, where.variables),
            )
            response = await self.run(request, executable)
            return _timed(response, http.started, prepared)
        except uploads.UploadRefused as error:
            return _refusal(error, None, http)
        except RequestError as error:
            return _refusal(error, request, http)
        except Exception:
            return self._internal_error(request, http)

    async def graphql(self, http: HttpRequest) -> GraphQLResponse:
        try:
            request = await self.read(http)
        except RequestError as error:
            return _refusal(error, None, http)
        except Exception:
            return self._internal_error(None, http)
        return await self.process(request)

    async def process(self, request: GraphQLRequest) -> GraphQLResponse:
        """A GraphQL request from `prepare` to `shape` (also for in-process callers)."""
        started = request.http.started if request.http is not None else time.perf_counter()
        try:
            executable = await self.prepare(request)
            prepared = time.perf_counter()
            if executable.kind == "subscription":  # the streaming transports subscribe
                raise RequestError(
                    "Subscriptions need a streaming transport: a websocket "
                    "(graphql-transport-ws), text/event-stream or multipart/mixed.",
                    "BAD_REQUEST",
                )
            # Only queries are shared: two identical mutations are two writes.
            if not self.coalesce or request.want_plan or executable.kind != "query":
                response = await self.run(request, executable)
                return _timed(response, started, prepared)
            key = (
                request.query,
                request.operation_name,
                orjson.dumps(request.variables, option=orjson.OPT_SORT_KEYS),
                request.caller,
                request.headers,
            )
            shared = key in self.coalesced
            response = await self.coalesced.run(key, self.run, request, executable)
            if shared:  # another caller's response: never hand on its cookies
                response = _shared(response, request)
            return _timed(response, started, prepared)
        except RequestError as error:
            return _refusal(error, request, request.http)
        except Exception:
            return self._internal_error(request, request.http)

    async def run(self, request: GraphQLRequest, executable: Executable) -> GraphQLResponse:
        """Variables, `auth`, `execute`, `shape`: the part of a request coalescing shares."""
        variables = coerce_variables(self.supergraph.api_schema, executable, request.variables)
        operation = await self.auth(ExecutionRequest(request, executable, variables))
        result = await self.execute(operation)
        return await self.shape(result)

    def enabled_labels(self) -> frozenset[str]:
        return self.preparer.enabled_labels()

    def variables(self, executable: Executable, raw: Mapping[str, Any]) -> Mapping[str, Any]:
        """The request's variables checked against the operation, defaults filled in."""
        return coerce_variables(self.supergraph.api_schema, executable, raw)

    def _internal_error(
        self, request: GraphQLRequest | None, http: HttpRequest | None
    ) -> GraphQLResponse:
        """A bug, not bad input: logged with its traceback under an error id that the client
        gets too; the client never sees the exception itself."""
        error_id = os.urandom(8).hex()
        log.exception("request failed (error id %s)", error_id)
        message = f"Internal server error (error id {error_id})."
        if not self.production:  # dev: the exception's own words help; production masks them
            reason = sys.exc_info()[1]
            message = f"Internal server error (error id {error_id}): {reason!r}"
        error = {
            "message": message,
            "extensions": {"code": "INTERNAL_SERVER_ERROR", "errorId": error_id},
        }
        return GraphQLResponse(500, {"errors": [error]}, request, http=http)

    async def close(self) -> None:
        await self.clients.close()


def _refusal(
    error: RequestError, request: GraphQLRequest | None, http: HttpRequest | None
) -> GraphQLResponse:
    log.info("refused (%s): %s", error.code, error.message)
    body = {"errors": [{"message": error.message, "extensions": {"code": error.code}}]}
    return GraphQLResponse(error.status, body, request, error.headers, http=http)


def _shared(response: GraphQLResponse, request: GraphQLRequest) -> GraphQLResponse:
    """A coalesced caller's copy of another caller's response: its own request, no cookies."""
    headers = tuple(h for h in response.headers if h[0] != b"set-cookie")
    return replace(response, request=request, headers=headers)


def _timed(response: GraphQLResponse, started: float, prepared: float) -> GraphQLResponse:
    done = time.perf_counter()
    return replace(
        response, timings=(("prepare", prepared - started), ("execute", done - prepared))
    )
