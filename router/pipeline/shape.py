"""Stage `shape`: merged data -> the client's response (router/executor/shape.py's compiled
shaper: response keys in query order, type conditions, @skip/@include, null propagation), and
the subgraphs' response headers by their rules."""

from __future__ import annotations

from typing import Any

from router.pipeline import response_headers
from router.pipeline.types import GraphQLResponse, Headers, Result


class Shape:
    async def __call__(self, result: Result) -> GraphQLResponse:
        operation = result.operation
        shaped, problems = operation.executable.shaper.shape(result.data, operation.variables)
        body: dict[str, Any] = {}
        if result.errors:
            body["errors"] = result.errors
        body["data"] = shaped
        extensions = result.extensions
        if problems:
            extensions = {**extensions, "valueCompletion": problems}
        if extensions:
            body["extensions"] = extensions
        headers: Headers = ()
        if result.subgraph_headers:
            headers = response_headers.merge(result.subgraph_headers, result.fetches)
        return GraphQLResponse(200, body, operation.request, headers)
