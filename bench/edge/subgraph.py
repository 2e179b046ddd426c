"""The benchmark's subgraph: answers every GraphQL POST with one fixed result, so the router's
work (and nothing behind it) is what the edge benchmark measures.

    python -m bench.edge.subgraph PORT
"""

from __future__ import annotations

import sys

from aiohttp import web

SDL = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])\n'
    "type Query { hello: String }"
)
ANSWER = b'{"data":{"hello":"world"}}'


async def graphql(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(body=ANSWER, content_type="application/json")


def main(port: int) -> None:
    app = web.Application()
    app.router.add_post("/graphql", graphql)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


if __name__ == "__main__":
    main(int(sys.argv[1]))
