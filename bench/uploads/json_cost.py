"""CPU per plain JSON request through the router's ASGI app, in process (`{ __typename }`: no
subgraph fetch, so only the HTTP framing and the pipeline count): what the upload support must
not add to. Process CPU time over 5 rounds of 20,000 requests; prints the best and every round.

    .venv/bin/python -m bench.uploads.json_cost [SUPERGRAPH]

To compare with another checkout (e.g. before uploads existed): `git archive COMMIT | tar -x -C
DIR`, then run this file with `PYTHONPATH=DIR` from DIR.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

from router.server.app import create_app
from router.settings import RouterSettings

BODY = b'{"query":"{ __typename }"}'
SCOPE = {
    "type": "http",
    "method": "POST",
    "path": "/graphql",
    "query_string": b"",
    "headers": [
        (b"host", b"router"),
        (b"content-type", b"application/json"),
        (b"accept", b"application/json"),
        (b"content-length", b"%d" % len(BODY)),
        (b"user-agent", b"bench"),
    ],
    "client": ("127.0.0.1", 1),
}


async def main(supergraph: str) -> None:
    settings = RouterSettings(_env_file=None, supergraph=supergraph, hot_reload=False)  # type: ignore[call-arg]
    app = create_app(settings)
    app.holder.start()
    answers: list[Any] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": BODY, "more_body": False}

    async def send(message: Any) -> None:
        answers.append(message)

    for _ in range(2000):  # warm-up: the prepared document, caches
        await app(SCOPE, receive, send)
    assert b'"Query"' in answers[-1]["body"], answers[-1]
    rounds = []
    for _ in range(5):
        answers.clear()
        started = time.process_time()
        for _ in range(20_000):
            await app(SCOPE, receive, send)
        rounds.append((time.process_time() - started) / 20_000 * 1e6)
    print(f"JSON POST {{ __typename }}: best {min(rounds):.2f} µs CPU per request, "
          f"rounds {', '.join(f'{r:.2f}' for r in rounds)}")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "schema/supergraph.graphql"))
