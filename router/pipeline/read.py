"""Stage `read`: an HTTP request -> a GraphQL request (GraphQL over HTTP, CSRF prevention).

CSRF prevention is Apollo Router's: a browser sends a "simple" request (GET, or POST with a
form or text/plain content type, and no custom header) cross-origin without a CORS preflight,
so such a request could carry a user's cookies from any page. It is refused unless it has a
Content-Type other than the three simple ones or one of the required headers (by default
`x-apollo-operation-name` or `apollo-require-preflight`, as Apollo Client sends them).

Then the front door (router/server/edge.py): JWT authentication, rate limits and persisted
documents (APQ, trusted documents), when configured; its refusals are refusals of this stage.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import orjson

from router.pipeline.types import GraphQLRequest, HttpRequest, RequestError
from router.server.edge import Edge, Refused
from router.settings import RouterSettings

PLAN_HEADER = b"x-mosaic-query-plan"
SIMPLE_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")


class Read:
    def __init__(self, settings: RouterSettings, edge: Edge | None = None) -> None:
        self.edge = edge
        propagate = {h.encode() for h in settings.propagate_headers}
        if edge is not None and edge.claims_header:  # only the router may say what they are
            propagate.discard(edge.claims_header.encode())
        self.propagate = frozenset(propagate)
        self.expose_plan = settings.query_plan_exposed
        self.csrf = settings.csrf_prevention
        self.csrf_headers = frozenset(h.encode() for h in settings.csrf_required_headers)

    async def __call__(self, http: HttpRequest) -> GraphQLRequest:
        content_type = authorization = plan_header = cookie = ""
        preflighted = False
        forwarded: list[tuple[str, str]] = []
        propagate = self.propagate
        csrf_headers = self.csrf_headers
        for name, value in http.headers:
            if name == b"content-type":
                content_type = value.decode("latin-1")
            elif name == PLAN_HEADER:
                plan_header = value.decode("latin-1").lower()
            elif name in csrf_headers:
                preflighted = True
            elif name == b"cookie":
                cookie = value.decode("latin-1")
            if name == b"authorization":
                authorization = value.decode("latin-1")
            if name in propagate:
                forwarded.append((name.decode("latin-1"), value.decode("latin-1")))
        if self.csrf and not preflighted and _simple(content_type):
            raise RequestError(
                "This operation has been blocked as a potential Cross-Site Request Forgery "
                "(CSRF). Send a Content-Type of application/json, or one of the headers "
                f"{', '.join(sorted(h.decode() for h in csrf_headers))}.",
                "CSRF_PREVENTED",
                400,
            )
        method = http.method
        params: Any
        if method == "GET":
            raw = {k: v[0] for k, v in parse_qs(http.query_string.decode("latin-1")).items()}
            params = {"query": raw.get("query"), "operationName": raw.get("operationName")}
            for param in ("variables", "extensions"):
                if raw.get(param):
                    try:
                        params[param] = orjson.loads(raw[param])
                    except orjson.JSONDecodeError:
                        raise RequestError(f"{param} is not valid JSON.", "BAD_REQUEST") from None
        elif http.form is not None:  # a multipart request (router/server/multipart.py)
            params = http.form
        else:
            if content_type and "json" not in content_type:
                raise RequestError("POST bodies must be application/json.", "BAD_REQUEST", 415)
            try:
                params = orjson.loads(http.body)
            except orjson.JSONDecodeError:
                raise RequestError("The request body is not valid JSON.", "BAD_REQUEST") from None
        problem = _check_params(params)
        if problem:
            raise RequestError(problem, "BAD_REQUEST")
        query = params.get("query")
        claims = None
        edge = self.edge
        if edge is not None and (edge.always or "extensions" in params):
            try:
                admitted = await edge.admit(params, http.client, authorization, cookie)
            except Refused as refused:
                status = refused.status
                if status == 400 and http.media == "application/json":
                    status = 200  # a well-formed GraphQL request: GraphQL over HTTP's 200
                raise RequestError(
                    refused.message, refused.code, status, tuple(refused.headers)
                ) from None
            query, claims = admitted.query, admitted.claims
            if admitted.forwarded:
                forwarded += admitted.forwarded
                if not authorization and claims is not None:
                    authorization = f"Bearer {claims.token}"
        if not isinstance(query, str) or not query:
            raise RequestError("The request has no query string.", "BAD_REQUEST")
        return GraphQLRequest(
            query=query,
            operation_name=params.get("operationName") or None,
            variables=params.get("variables") or {},
            headers=tuple(forwarded),
            caller=authorization,
            method=method,
            want_plan=self.expose_plan and plan_header in ("1", "true"),
            request_id=http.request_id,
            extensions=params.get("extensions") or {},
            http=http,
            claims=claims,
        )


def _simple(content_type: str) -> bool:
    """Whether a browser may send this Content-Type cross-origin without a preflight."""
    if not content_type:
        return True
    media = content_type.partition(";")[0].strip().lower()
    return media in SIMPLE_CONTENT_TYPES


def _check_params(params: Any) -> str | None:
    if not isinstance(params, dict):
        return "The request body must be a JSON object."
    query = params.get("query")
    if query is not None and not isinstance(query, str):
        return "query must be a string."
    if not query and not isinstance(params.get("extensions"), dict):  # APQ sends only a hash
        return "The request has no query string."
    if not isinstance(params.get("variables") or {}, dict):
        return "variables must be a JSON object."
    if not isinstance(params.get("extensions") or {}, dict):
        return "extensions must be a JSON object."
    operation_name = params.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        return "operationName must be a string."
    return None
