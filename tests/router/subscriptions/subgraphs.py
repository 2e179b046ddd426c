"""Two small Strawberry subgraphs for the subscription tests, served over real HTTP and
websockets: `inbox` owns Subscription (messages to the caller, a countdown that completes, a
stream that fails) and Message; `people` owns User, which Message.author points to."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from typing import Any

import strawberry
from starlette.applications import Starlette
from starlette.routing import Route, WebSocketRoute
from strawberry.asgi import GraphQL
from strawberry.federation import Schema
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL


class Broker:
    """In-memory fan-out of sent messages to the open subscriptions, with counters."""

    def __init__(self) -> None:
        self.queues: set[asyncio.Queue[Message]] = set()
        self.opened = 0  # messageAdded subscriptions ever opened
        self.callers: list[str | None] = []  # the identity each subscription saw

    def publish(self, message: Message) -> None:
        for queue in self.queues:
            queue.put_nowait(message)


CLAIMS_HEADER = "x-mosaic-claims"


def _caller(info: strawberry.Info) -> str | None:
    """The router's verified claims (`sub`) when it forwards them, else the bearer value."""
    context: dict[str, Any] = info.context
    params = context.get("connection_params") or {}
    claims = params.get(CLAIMS_HEADER)
    if isinstance(claims, str):
        return str(json.loads(claims)["sub"])
    value = params.get("authorization") or context["request"].headers.get("authorization")
    return value.removeprefix("Bearer ") if isinstance(value, str) else None


@strawberry.federation.type(directives=[Key(fields=FieldSet("id"), resolvable=False)])
class User:
    id: strawberry.ID


@strawberry.type
class Message:
    id: strawberry.ID
    text: str
    to: str
    author: User


def inbox_schema(broker: Broker) -> Schema:
    counter = iter(range(1, 1_000_000))

    @strawberry.type
    class Query:
        @strawberry.field
        def active_subscriptions(self) -> int:
            return len(broker.queues)

        @strawberry.field
        def opened_subscriptions(self) -> int:
            return broker.opened

    @strawberry.type
    class Mutation:
        @strawberry.mutation
        def send(self, to: str, text: str, author: strawberry.ID) -> Message:
            message = Message(id=strawberry.ID(f"m{next(counter)}"), text=text, to=to,
                              author=User(id=author))  # fmt: skip
            broker.publish(message)
            return message

    @strawberry.type
    class Subscription:
        @strawberry.subscription
        async def message_added(self, info: strawberry.Info) -> AsyncGenerator[Message]:
            caller = _caller(info)
            queue: asyncio.Queue[Message] = asyncio.Queue()
            broker.opened += 1
            broker.callers.append(caller)
            broker.queues.add(queue)
            try:
                while True:
                    message = await queue.get()
                    if message.to == caller:
                        yield message
            finally:
                broker.queues.discard(queue)

        @strawberry.subscription
        async def countdown(self, start: int) -> AsyncGenerator[int]:
            for n in range(start, 0, -1):
                yield n

        @strawberry.subscription
        async def flood(self, count: int, size: int) -> AsyncGenerator[str]:
            for n in range(count):
                yield str(n % 10) * size

        @strawberry.subscription
        async def failing(self) -> AsyncGenerator[int]:
            yield 1
            raise RuntimeError("the inbox broke")

    return Schema(query=Query, mutation=Mutation, subscription=Subscription)


@strawberry.federation.type(keys=["id"], name="User")
class Person:
    id: strawberry.ID
    name: str

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Person:
        return Person(id=id, name={"u1": "Ada", "u2": "Grace"}.get(str(id), "Nobody"))


@strawberry.federation.type(keys=["id"], name="User")
class RenamedPerson:
    """People after a schema change: `name` became `fullName`."""

    id: strawberry.ID
    full_name: str

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> RenamedPerson:
        return RenamedPerson(id=id, full_name=Person.resolve_reference(id).name)


def people_schema(renamed: bool = False) -> Schema:
    if renamed:

        @strawberry.type
        class RenamedQuery:
            @strawberry.field
            def person(self, id: strawberry.ID) -> RenamedPerson:
                return RenamedPerson.resolve_reference(id)

        return Schema(query=RenamedQuery, types=[RenamedPerson])

    @strawberry.type
    class Query:
        @strawberry.field
        def person(self, id: strawberry.ID) -> Person:
            return Person.resolve_reference(id)

    return Schema(query=Query, types=[Person])


def app(schema: Schema) -> Starlette:
    graphql: GraphQL[Any, Any] = GraphQL(
        schema, graphql_ide=None, subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,)
    )
    return Starlette(routes=[Route("/graphql", graphql), WebSocketRoute("/graphql", graphql)])
