"""subscriptions-transport-ws (subprotocol `graphql-ws`): Apollo's legacy protocol, still what
older clients speak. Its servers answer bad messages with `error` messages rather than close
codes, and keep the connection alive with `ka` messages."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import orjson

from router.subscriptions.adapter import Disconnected
from router.subscriptions.connection import Connection
from router.subscriptions.types import (
    ConnectionInitMessage,
    LegacyStartMessage,
    LegacyStopMessage,
    LegacyTerminateMessage,
)


class LegacyWSConnection(Connection):
    _keepalive: asyncio.Task[None] | None = None

    async def run(self) -> None:
        try:
            await super().run()
        finally:
            if self._keepalive is not None:
                self._keepalive.cancel()

    async def bad_message(self, reason: str) -> None:
        await self.send_json({"type": "error", "payload": {"message": reason}})

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        if self.init_received:
            await self.bad_message("The connection is already initialised")
            return
        self.init_received = True
        refused = await self.initialise(message.get("payload"))
        if refused is not None:
            await self.send_json({"type": "connection_error", "payload": {"message": refused[1]}})
            await self.close(*refused)
        self.acknowledged = True
        await self.send_json({"type": "connection_ack"})
        await self.send_json({"type": "ka"})
        self._keepalive = asyncio.get_running_loop().create_task(self._keep_alive())

    async def _keep_alive(self) -> None:
        with contextlib.suppress(Disconnected):
            while True:
                await asyncio.sleep(self.settings.subscription_heartbeat)
                await self.send_json({"type": "ka"})

    async def handle_start(self, message: LegacyStartMessage) -> None:
        id = message.get("id")
        if not isinstance(id, str) or not id:
            await self.bad_message("Invalid message received: start has no id")
            return
        if not self.acknowledged:
            error = {
                "message": "Send connection_init first",
                "extensions": {"code": "UNAUTHENTICATED"},
            }
            await self.send_error(id, [error])
            return
        payload = message.get("payload")
        if not isinstance(payload, dict) or not self.valid_payload(payload):
            error = {"message": "Invalid start payload", "extensions": {"code": "BAD_REQUEST"}}
            await self.send_error(id, [error])
            return
        self.stop(id)  # the protocol's rule: a start with a used id replaces that operation
        await self.start(id, dict(payload))

    async def handle_stop(self, message: LegacyStopMessage) -> None:
        id = message.get("id")
        if isinstance(id, str):
            self.stop(id)

    async def handle_connection_terminate(self, message: LegacyTerminateMessage) -> None:
        await self.close(1000, "Terminated")

    async def send_next(self, id: str, payload: bytes) -> None:
        head = b'{"id":' + orjson.dumps(id) + b',"type":"data","payload":'
        await self.ws.send((head + payload + b"}").decode())

    async def send_error(self, id: str, errors: list[dict[str, Any]]) -> None:
        # Legacy clients read errors from a `data` message; `complete` then ends the operation.
        await self.send_next(id, orjson.dumps({"errors": errors}))
        await self.send_complete(id)

    async def send_complete(self, id: str) -> None:
        await self.send_json({"id": id, "type": "complete"})
