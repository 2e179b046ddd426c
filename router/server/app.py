"""The router's Starlette app: GraphQL over HTTP (POST and GET), /health and /ready."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from router.server.pipeline import GraphQLRequest
from router.server.reload import StateHolder
from router.settings import RouterSettings

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
PLAN_HEADER = "x-mosaic-query-plan"


def _media_type(accept: str) -> str | None:
    """The response media type for an Accept header (None: neither is acceptable)."""
    if not accept:
        return JSON
    accept = accept.lower()
    if GRAPHQL_RESPONSE in accept:
        return GRAPHQL_RESPONSE
    if JSON in accept or "*/*" in accept or "application/*" in accept:
        return JSON
    return None


def _error(status: int, message: str, code: str = "BAD_REQUEST") -> Response:
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return Response(orjson.dumps(body), status, media_type=JSON)


def create_app(settings: RouterSettings | None = None) -> Starlette:
    settings = settings or RouterSettings()
    holder = StateHolder(settings)
    propagate = tuple(settings.propagate_headers)

    async def graphql(request: Request) -> Response:
        media = _media_type(request.headers.get("accept", ""))
        if media is None:
            return _error(406, "Accept application/graphql-response+json or application/json.")
        params: Any
        if request.method == "GET":
            query_params = request.query_params
            params = {
                "query": query_params.get("query"),
                "operationName": query_params.get("operationName"),
            }
            raw_vars = query_params.get("variables")
            if raw_vars:
                try:
                    params["variables"] = orjson.loads(raw_vars)
                except orjson.JSONDecodeError:
                    return _error(400, "The variables parameter is not valid JSON.")
        else:
            content_type = request.headers.get("content-type", "")
            if content_type and "json" not in content_type:
                return _error(415, "POST bodies must be application/json.")
            try:
                params = orjson.loads(await request.body())
            except orjson.JSONDecodeError:
                return _error(400, "The request body is not valid JSON.")
        if not isinstance(params, dict):
            return _error(400, "The request body must be a JSON object.")
        query = params.get("query")
        if not isinstance(query, str) or not query:
            return _error(400, "The request has no query string.")
        variables = params.get("variables") or {}
        operation_name = params.get("operationName") or None
        if not isinstance(variables, dict):
            return _error(400, "variables must be a JSON object.")
        if operation_name is not None and not isinstance(operation_name, str):
            return _error(400, "operationName must be a string.")
        headers = tuple((h, v) for h in propagate if (v := request.headers.get(h)) is not None)
        state = holder.current
        outcome = await state.handle(
            GraphQLRequest(
                query=query,
                operation_name=operation_name,
                variables=variables,
                headers=headers,
                caller=request.headers.get("authorization", ""),
                method=request.method,
                want_plan=settings.expose_query_plan
                and request.headers.get(PLAN_HEADER, "").lower() in ("1", "true"),
            )
        )
        status = outcome.status
        if media == JSON and status == 400:
            status = 200  # application/json: well-formed requests get 200 (GraphQL over HTTP)
        extra = {"allow": "POST"} if status == 405 else None
        return Response(orjson.dumps(outcome.body), status, media_type=media, headers=extra)

    async def health(_: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type=JSON)

    async def ready(_: Request) -> Response:
        body = {"status": "ready", "supergraph": holder.current.supergraph.hash}
        return Response(orjson.dumps(body), media_type=JSON)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        holder.start()
        try:
            yield
        finally:
            await holder.stop()

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/", graphql, methods=["GET", "POST"]),
            Route("/health", health, methods=["GET"]),
            Route("/ready", ready, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.holder = holder
    return app


def create_app_from_env() -> Starlette:
    """uvicorn factory for worker processes (settings come from MOSAIC_ROUTER_*)."""
    return create_app(RouterSettings())
