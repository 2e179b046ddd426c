"""The messages of both websocket subprotocols, one TypedDict each (Strawberry's layout).

graphql-transport-ws: https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md
subscriptions-transport-ws (subprotocol `graphql-ws`, Apollo's legacy one):
https://github.com/apollographql/subscriptions-transport-ws/blob/master/PROTOCOL.md
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

GRAPHQL_TRANSPORT_WS = "graphql-transport-ws"
GRAPHQL_WS_LEGACY = "graphql-ws"  # subscriptions-transport-ws


class SubscribePayload(TypedDict):
    query: str
    operationName: NotRequired[str | None]
    variables: NotRequired[dict[str, Any] | None]
    extensions: NotRequired[dict[str, Any] | None]


# -- graphql-transport-ws ---------------------------------------------------------------------
class ConnectionInitMessage(TypedDict):
    type: Literal["connection_init"]
    payload: NotRequired[dict[str, Any] | None]


class ConnectionAckMessage(TypedDict):
    type: Literal["connection_ack"]
    payload: NotRequired[dict[str, Any]]


class PingMessage(TypedDict):
    type: Literal["ping"]
    payload: NotRequired[dict[str, Any] | None]


class PongMessage(TypedDict):
    type: Literal["pong"]
    payload: NotRequired[dict[str, Any] | None]


class SubscribeMessage(TypedDict):
    id: str
    type: Literal["subscribe"]
    payload: SubscribePayload


class NextMessage(TypedDict):
    id: str
    type: Literal["next"]
    payload: dict[str, Any]


class ErrorMessage(TypedDict):
    id: str
    type: Literal["error"]
    payload: list[dict[str, Any]]


class CompleteMessage(TypedDict):
    id: str
    type: Literal["complete"]


# -- subscriptions-transport-ws (legacy) --------------------------------------------------------
class LegacyStartMessage(TypedDict):
    id: str
    type: Literal["start"]
    payload: SubscribePayload


class LegacyStopMessage(TypedDict):
    id: str
    type: Literal["stop"]


class LegacyTerminateMessage(TypedDict):
    type: Literal["connection_terminate"]


class LegacyDataMessage(TypedDict):
    id: str
    type: Literal["data"]
    payload: dict[str, Any]


class LegacyErrorMessage(TypedDict):
    id: NotRequired[str]
    type: Literal["error", "connection_error"]
    payload: dict[str, Any]


class CloseCode:
    """graphql-transport-ws close codes, plus the router's own for its limits."""

    BAD_REQUEST = 4400  # malformed or unknown message
    UNAUTHORIZED = 4401  # subscribe before connection_ack
    FORBIDDEN = 4403  # connection_init refused (bad token)
    INIT_TIMEOUT = 4408  # no connection_init in time
    SUBSCRIBER_EXISTS = 4409  # an id already in use
    TOO_MANY_INIT = 4429  # a second connection_init
    INTERNAL_ERROR = 4500
    MESSAGE_TOO_BIG = 1009  # RFC 6455: a message over the size limit
    TRY_AGAIN_LATER = 1013  # RFC 6455: past the connections-per-caller or process limit
    SLOW_CONSUMER = 4490  # the client's queue filled: it reads slower than events arrive
    SERVER_RESTART = 1012  # RFC 6455: the router shuts down
