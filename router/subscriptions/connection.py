"""What both websocket protocols share: the receive loop, the init timeout, the caller's
identity from the upgrade request and the `connection_init` payload, the operations of one
connection (capped) and how one operation's results reach the client."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import orjson

from router.auth.jwt import AuthError, token_from
from router.pipeline import GraphQLRequest
from router.pipeline import GraphQLResponse as Response
from router.pipeline.read import PLAN_HEADER
from router.server.edge import Refused
from router.settings import RouterSettings
from router.subscriptions.adapter import Disconnected, WebSocket
from router.subscriptions.queue import Failed, SlowConsumer
from router.subscriptions.service import Streams
from router.subscriptions.types import CloseCode

log = logging.getLogger("mosaic.router")
Handler = Callable[[dict[str, Any]], Awaitable[None]]
WANT_PLAN = PLAN_HEADER.decode()  # as a header of the upgrade or a connection_init key


def _cookie_origin_trusted(origin: str | None, host: str | None, settings: RouterSettings) -> bool:
    if not origin:  # not a browser page: nothing ambient to abuse
        return True
    if urlsplit(origin).netloc == host:
        return True
    return settings.cors_allow_credentials and origin.rstrip("/") in {
        o.rstrip("/") for o in settings.cors_origins
    }


class Connection:
    """One client websocket. Subclasses add one `handle_<type>` method per message type and
    the three ways results are written (`send_next`, `send_error`, `send_complete`)."""

    def __init__(
        self,
        ws: WebSocket,
        streams: Streams,
        upgrade_headers: list[tuple[str, str]],
        client: str,
    ) -> None:
        self.ws = ws
        self.streams = streams
        self.settings: RouterSettings = streams.settings
        self.upgrade_headers = upgrade_headers
        self.client = client
        self.init_received = False
        self.acknowledged = False
        self.headers: tuple[tuple[str, str], ...] = ()
        self.authorization = ""
        self.want_plan = False  # x-mosaic-query-plan on the upgrade or in connection_init
        headers = {k.lower(): v for k, v in upgrade_headers}
        # Browsers send cookies with any page's websocket: the auth cookie counts only for a
        # page of this origin or of a credentialed CORS origin (cross-site websocket hijacking).
        trusted = _cookie_origin_trusted(headers.get("origin"), headers.get("host"), self.settings)
        self.cookie = headers.get("cookie", "") if trusted else ""
        self.caller: str | None = None  # its key in the per-caller connection count
        self.operations: dict[str, asyncio.Task[None]] = {}
        self._loop_task: asyncio.Task[Any] | None = None
        self._cutting = False
        self._closer: asyncio.Task[None] | None = None
        self.handlers: dict[str, Handler] = {
            name[len("handle_") :]: getattr(self, name)
            for name in dir(self)
            if name.startswith("handle_")
        }

    # -- the loop ---------------------------------------------------------------------------
    async def run(self) -> None:
        timer = asyncio.get_running_loop().create_task(self._init_timeout())
        self._loop_task = asyncio.current_task()
        try:
            while True:
                text = await self.ws.receive()
                if len(text) > self.settings.ws_max_message_bytes:
                    await self.close(
                        CloseCode.MESSAGE_TOO_BIG,
                        f"Message too big (limit {self.settings.ws_max_message_bytes} bytes)",
                    )
                    return
                try:
                    message = orjson.loads(text)
                except orjson.JSONDecodeError:
                    await self.bad_message("Invalid message received: not JSON")
                    continue
                kind = message.get("type") if isinstance(message, dict) else None
                if not isinstance(kind, str):
                    await self.bad_message("Invalid message received: no message type")
                    continue
                handler = self.handlers.get(kind)
                if handler is None:
                    await self.bad_message(f"Invalid message received: unknown type '{kind}'")
                else:
                    await handler(message)
        except Disconnected:
            pass
        except asyncio.CancelledError:
            if not self._cutting:  # only a cut-off slow client ends the loop this way
                raise
        finally:
            timer.cancel()
            for task in self.operations.values():
                task.cancel()
            await asyncio.gather(*self.operations.values(), return_exceptions=True)
            if self.caller is not None:
                self.streams.release(self.caller)
                self.caller = None

    async def _init_timeout(self) -> None:
        await asyncio.sleep(self.settings.ws_init_timeout)
        if not self.init_received:
            with contextlib.suppress(Disconnected):
                await self.close(CloseCode.INIT_TIMEOUT, "Connection initialisation timeout")

    async def close(self, code: int, reason: str) -> None:
        await self.ws.close(code, reason)
        raise Disconnected  # ends the loop (or the operation task that closed)

    async def bad_message(self, reason: str) -> None:
        raise NotImplementedError

    async def send_json(self, message: Mapping[str, Any]) -> None:
        await self.ws.send(orjson.dumps(message).decode())

    # -- connection_init ---------------------------------------------------------------------
    async def initialise(self, payload: Any) -> tuple[int, str] | None:
        """Take the caller's identity: a token is verified now, as an HTTP request's is, so a
        bad one closes the socket (4403) before any operation. A refusal: (close code, reason)."""
        params = payload if isinstance(payload, dict) else {}
        pairs = [*self.upgrade_headers, *((k, v) for k, v in params.items() if isinstance(v, str))]
        self.headers = self.streams.forwarded(pairs)
        self.want_plan = self.settings.query_plan_exposed and any(
            name.lower() == WANT_PLAN and value.lower() in ("1", "true") for name, value in pairs
        )
        self.authorization = dict(self.headers).get("authorization", "")
        if not self.authorization:  # Authorization outside the propagated headers still counts
            for name, value in pairs:
                if name.lower() == "authorization":
                    self.authorization = value
        authenticator = self.streams.edge.authenticator
        if authenticator is not None:
            try:
                token = token_from(self.authorization, self.cookie, self.streams.edge.cookie)
                if token is not None:
                    await authenticator.verify(token)
            except AuthError as error:
                return CloseCode.FORBIDDEN, f"Forbidden: {error.message}"
        caller = self.streams.caller_key(self.authorization, self.client)
        if not self.streams.open(caller):
            limit = self.settings.max_connections_per_caller
            return (
                CloseCode.TRY_AGAIN_LATER,
                f"Too many connections for this caller (limit {limit})",
            )
        self.caller = caller
        return None

    # -- operations --------------------------------------------------------------------------
    @staticmethod
    def valid_payload(payload: Any) -> bool:
        """A subscribe/start payload: a query, or a persisted-document extension instead."""
        if not isinstance(payload, dict):
            return False
        query = payload.get("query")
        name = payload.get("operationName")
        if query is None or query == "":
            if not isinstance(payload.get("extensions"), dict):
                return False
        elif not isinstance(query, str):
            return False
        return isinstance(payload.get("variables") or {}, dict) and (
            name is None or isinstance(name, str)
        )

    async def request(self, payload: dict[str, Any]) -> GraphQLRequest:
        """The operation as the router's pipeline takes it, after the same front door as HTTP
        (token, rate limits, persisted documents); raises Refused."""
        edge = self.streams.edge
        query = payload.get("query")
        headers = self.headers
        claims = None
        if edge.always or "extensions" in payload:
            admitted = await edge.admit(payload, self.client, self.authorization, self.cookie)
            query, claims = admitted.query, admitted.claims
            headers = headers + admitted.forwarded
        if not isinstance(query, str) or not query:
            raise Refused(400, "The request has no query string.", "BAD_REQUEST")
        return GraphQLRequest(
            query=query,
            operation_name=payload.get("operationName") or None,
            variables=payload.get("variables") or {},
            headers=headers,
            claims=claims,
            caller=self.authorization,
            want_plan=self.want_plan,
        )

    async def start(self, id: str, payload: dict[str, Any]) -> None:
        if len(self.operations) >= self.settings.ws_max_operations:
            limit = self.settings.ws_max_operations
            error = {
                "message": f"This connection already runs its limit of {limit} operations.",
                "extensions": {"code": "OPERATION_LIMIT"},
            }
            await self.send_error(id, [error])
            return
        task = asyncio.get_running_loop().create_task(self._operation(id, payload))
        self.operations[id] = task

    def stop(self, id: str) -> None:
        task = self.operations.pop(id, None)
        if task is not None:
            task.cancel()

    async def _operation(self, id: str, payload: dict[str, Any]) -> None:
        try:
            try:
                request = await self.request(payload)
            except Refused as refused:
                await self.send_error(
                    id, [{"message": refused.message, "extensions": {"code": refused.code}}]
                )
                return
            result = await self.streams.start(request)
            if isinstance(result, Response):
                if "data" not in result.body:  # refused before execution: validation, limits
                    await self.send_error(id, result.body["errors"])
                    return
                await self.send_next(id, result.encoded())
                await self.send_complete(id)
                return
            result.on_overflow = self._cut_off
            try:
                while True:
                    item = await result.next()
                    if isinstance(item, bytes):
                        await self.send_next(id, item)
                        continue
                    if isinstance(item, SlowConsumer):
                        return  # _cut_off closes the socket
                    if isinstance(item, Failed):
                        await self.send_next(id, orjson.dumps({"errors": item.errors}))
                    await self.send_complete(id)
                    return
            finally:
                result.close()
        except Disconnected:
            pass
        finally:
            if self.operations.get(id) is asyncio.current_task():
                del self.operations[id]

    def _cut_off(self, slow: SlowConsumer) -> None:
        """A subscription's queue overflowed: drop the client now (its operations stop, the
        socket closes with 4490, or is dropped if even the close frame cannot be written)."""
        if self._cutting:
            return
        self._cutting = True
        log.info("closing a websocket that read too slowly (%d events queued)", slow.queued)
        for task in self.operations.values():
            task.cancel()
        self._closer = asyncio.get_running_loop().create_task(self._close_slow(slow))

    async def _close_slow(self, slow: SlowConsumer) -> None:
        await self.ws.close(
            CloseCode.SLOW_CONSUMER, f"Client too slow: {slow.queued} events waiting"
        )
        if self._loop_task is not None and not self._loop_task.done():
            self._loop_task.cancel()  # its receive may never return: end the connection

    async def send_next(self, id: str, payload: bytes) -> None:
        raise NotImplementedError

    async def send_error(self, id: str, errors: list[dict[str, Any]]) -> None:
        raise NotImplementedError

    async def send_complete(self, id: str) -> None:
        raise NotImplementedError
