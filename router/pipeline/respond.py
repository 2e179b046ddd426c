"""Stage `respond`: a GraphQL response -> the HTTP response: the JSON body (encoded once, even
for coalesced clients) and its media type (GraphQL over HTTP: with application/json, a
well-formed request that fails parsing or validation is a 200), x-request-id, Server-Timing
(each measured stage and the total, in ms) and X-Process-Time (seconds since arrival)."""

from __future__ import annotations

import time

from router.pipeline.types import GraphQLResponse, HttpResponse

GRAPHQL_RESPONSE = "application/graphql-response+json"
CONTENT_TYPES = {
    GRAPHQL_RESPONSE: (b"content-type", GRAPHQL_RESPONSE.encode()),
    "application/json": (b"content-type", b"application/json"),
}


class Respond:
    async def __call__(self, response: GraphQLResponse) -> HttpResponse:
        request = response.request
        http = request.http if request is not None else response.http
        media = http.media if http is not None else "application/json"
        status = response.status
        if status == 400 and request is not None and media != GRAPHQL_RESPONSE:
            status = 200  # application/json: a well-formed GraphQL request gets 200
        headers = [CONTENT_TYPES[media], *response.headers]
        if http is not None:
            total = time.perf_counter() - http.started
            timing = ",".join(
                f"{name};dur={seconds * 1000:.2f}" for name, seconds in response.timings
            )
            timing = (
                f"{timing},total;dur={total * 1000:.2f}"
                if timing
                else f"total;dur={total * 1000:.2f}"
            )
            headers.append((b"server-timing", timing.encode()))
            headers.append((b"x-process-time", b"%.6f" % total))
            if http.request_id:
                headers.append((b"x-request-id", http.request_id.encode()))
        return HttpResponse(status, tuple(headers), response.encoded())
