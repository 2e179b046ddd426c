"""graphql-transport-ws (the `graphql-ws` library, Apollo Client's GraphQLWsLink): one method
per client message type; protocol violations close the socket with the protocol's codes."""

from __future__ import annotations

from typing import Any

import orjson

from router.subscriptions.connection import Connection
from router.subscriptions.types import (
    CloseCode,
    CompleteMessage,
    ConnectionInitMessage,
    PingMessage,
    PongMessage,
    SubscribeMessage,
)


class TransportWSConnection(Connection):
    async def bad_message(self, reason: str) -> None:
        await self.close(CloseCode.BAD_REQUEST, reason)

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        if self.init_received:
            await self.close(CloseCode.TOO_MANY_INIT, "Too many initialisation requests")
        self.init_received = True
        payload = message.get("payload")
        if payload is not None and not isinstance(payload, dict):
            await self.close(CloseCode.BAD_REQUEST, "Invalid connection_init payload")
        refused = await self.initialise(payload)
        if refused is not None:
            await self.close(*refused)
        self.acknowledged = True
        await self.send_json({"type": "connection_ack"})

    async def handle_ping(self, message: PingMessage) -> None:
        await self.send_json({"type": "pong"})

    async def handle_pong(self, message: PongMessage) -> None:
        return None

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if not self.acknowledged:
            await self.close(CloseCode.UNAUTHORIZED, "Unauthorized")
        id = message.get("id")
        if not isinstance(id, str) or not id:
            await self.close(CloseCode.BAD_REQUEST, "Invalid message received: subscribe has no id")
        assert isinstance(id, str)
        payload = message.get("payload")
        if not isinstance(payload, dict) or not self.valid_payload(payload):
            await self.close(
                CloseCode.BAD_REQUEST, "Invalid message received: bad subscribe payload"
            )
        assert isinstance(payload, dict)
        if id in self.operations:
            await self.close(CloseCode.SUBSCRIBER_EXISTS, f"Subscriber for {id} already exists")
        await self.start(id, dict(payload))

    async def handle_complete(self, message: CompleteMessage) -> None:
        id = message.get("id")
        if not isinstance(id, str):
            await self.close(CloseCode.BAD_REQUEST, "Invalid message received: complete has no id")
        assert isinstance(id, str)
        self.stop(id)

    async def send_next(self, id: str, payload: bytes) -> None:
        head = b'{"id":' + orjson.dumps(id) + b',"type":"next","payload":'
        await self.ws.send((head + payload + b"}").decode())

    async def send_error(self, id: str, errors: list[dict[str, Any]]) -> None:
        await self.send_json({"id": id, "type": "error", "payload": errors})

    async def send_complete(self, id: str) -> None:
        await self.send_json({"id": id, "type": "complete"})
