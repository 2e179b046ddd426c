"""The bench's subgraphs in one process: the subscription tests' inbox and people (Strawberry),
each on its own port. Usage: python -m bench.subscriptions.subgraphs INBOX_PORT PEOPLE_PORT"""

from __future__ import annotations

import asyncio
import sys

import uvicorn

from tests.router.subscriptions.subgraphs import Broker, app, inbox_schema, people_schema


async def main(inbox_port: int, people_port: int) -> None:
    servers = [
        uvicorn.Server(uvicorn.Config(application, port=port, log_level="warning",
                                      ws="websockets-sansio", lifespan="off", ws_max_size=2**24))
        for application, port in ((app(inbox_schema(Broker())), inbox_port),
                                  (app(people_schema()), people_port))
    ]  # fmt: skip
    await asyncio.gather(*(server.serve() for server in servers))


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
