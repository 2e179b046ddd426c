"""Real receivers for the delivery tests: an SMTP server (aiosmtpd) and a webhook HTTP server,
both on loopback, recording what they receive."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.utils.asgi import serve
from tests.utils.servers import free_port


@dataclass
class Mailbox:
    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.original_content or envelope.content))
        return "250 OK"


@contextlib.contextmanager
def smtp_server(port: int | None = None, mailbox: Mailbox | None = None) -> Iterator[Mailbox]:
    """An SMTP server on 127.0.0.1:`port` until the block ends."""
    box = mailbox or Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    box.port = controller.port  # type: ignore[attr-defined]
    try:
        yield box
    finally:
        controller.stop()


@dataclass
class Hooks:
    url: str
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@contextlib.asynccontextmanager
async def webhook_server() -> AsyncIterator[Hooks]:
    hooks = Hooks(url="")

    async def receive(request: Request) -> Response:
        hooks.received.append((dict(request.headers), await request.body()))
        return Response(status_code=204)

    async with serve(Starlette(routes=[Route("/hook", receive, methods=["POST"])])) as base:
        hooks.url = f"{base}/hook"
        yield hooks
