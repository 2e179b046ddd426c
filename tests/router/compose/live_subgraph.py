"""A real Strawberry subgraph over real HTTP (uvicorn in a thread), for SDL introspection tests."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from strawberry.asgi import GraphQL

from tests.utils.servers import free_port, wait_for_port


@dataclass
class SwitchableApp:
    """ASGI app serving one of several schemas; `current` picks which (SDL changes live)."""

    schemas: dict[str, Any]
    current: str
    required_header: tuple[str, str] | None = None
    seen_headers: list[dict[str, str]] = field(default_factory=list)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = {k.decode(): v.decode() for k, v in scope.get("headers", [])}
            self.seen_headers.append(headers)
            if (
                self.required_header
                and headers.get(self.required_header[0]) != (self.required_header[1])
            ):
                await send({"type": "http.response.start", "status": 401, "headers": []})
                await send({"type": "http.response.body", "body": b'{"errors":[]}'})
                return
        await GraphQL(self.schemas[self.current])(scope, receive, send)


@contextlib.contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serve `app` on a free loopback port; yields the /graphql URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}/graphql"
    finally:
        server.should_exit = True
        thread.join(10)
