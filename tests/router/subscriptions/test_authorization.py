"""Authorization directives on subscriptions, as on queries: the caller's identity comes from
`connection_init` (websockets) or the HTTP request (SSE, multipart); refused nested fields are
null with an UNAUTHORIZED_FIELD_OR_TYPE error at their path in every event and never reach a
subgraph; a refused root field is one response (null + error), then complete, and no subgraph
subscription is opened. Real websockets and HTTP between the router and two subgraphs."""

from __future__ import annotations

import base64
import contextlib
import json
import time
from collections.abc import AsyncGenerator, AsyncIterator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jwt
import strawberry
from strawberry.federation import Schema
from strawberry.federation.schema_directives import Authenticated, Key, Policy, RequiresScopes
from strawberry.federation.types import FieldSet

from router.auth.jwt import Claims
from router.compose import SubgraphSource, compose
from router.server.app import create_app
from router.settings import RouterSettings
from tests.router.subscriptions.helpers import init, open_ws, receive, send
from tests.router.subscriptions.subgraphs import app
from tests.utils.asgi import serve

SECRET = b"another-test-secret-of-32-bytes!"
JWKS = {"keys": [{"kty": "oct", "kid": "k1", "alg": "HS256",
                  "k": base64.urlsafe_b64encode(SECRET).rstrip(b"=").decode()}]}  # fmt: skip
DENIED = {
    "message": "Unauthorized field or type",
    "extensions": {"code": "UNAUTHORIZED_FIELD_OR_TYPE"},
}
TICKS = "subscription { ticks(count: 2) { n note audit owner { name email } } }"


@dataclass
class Seen:
    """What the subgraphs were asked: subscriptions opened, guarded fields resolved."""

    opened: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)


SEEN = Seen()  # reset by each federation; module level because Strawberry types must be


@strawberry.federation.type(
    directives=[Key(fields=FieldSet("id"), resolvable=False)], name="Account"
)
class AccountStub:
    id: strawberry.ID


@strawberry.type
class Tick:
    n: int
    owner: AccountStub

    @strawberry.field(directives=[RequiresScopes(scopes=[["admin"]])])
    def note(self) -> str | None:
        SEEN.resolved.append("note")
        return f"note {self.n}"

    @strawberry.field(directives=[Policy(policies=[["audit"]])])
    def audit(self) -> str | None:
        SEEN.resolved.append("audit")
        return f"audit {self.n}"


@strawberry.federation.type(keys=["id"], name="Account")
class Account:
    id: strawberry.ID
    name: str

    @strawberry.field(directives=[Authenticated()])
    def email(self) -> str | None:
        SEEN.resolved.append("email")
        return "ada@example.com"

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Account:
        return Account(id=id, name="Ada")


def alerts_schema() -> Schema:
    @strawberry.type
    class Query:
        @strawberry.field
        def ping(self) -> str:
            return "pong"

    @strawberry.type
    class Subscription:
        @strawberry.subscription
        async def ticks(self, count: int) -> AsyncGenerator[Tick]:
            SEEN.opened.append("ticks")
            for n in range(1, count + 1):
                yield Tick(n=n, owner=AccountStub(id=strawberry.ID("u1")))

        @strawberry.subscription(directives=[Authenticated()])
        async def secrets(self) -> AsyncGenerator[str]:
            SEEN.opened.append("secrets")
            yield "the secret"

    return Schema(query=Query, subscription=Subscription, types=[AccountStub])


def accounts_schema() -> Schema:
    @strawberry.type
    class Query:
        @strawberry.field
        def account(self, id: strawberry.ID) -> Account:
            return Account.resolve_reference(id)

    return Schema(query=Query, types=[Account])


def decide(policies: frozenset[str], claims: Claims | None) -> Iterable[str]:
    """The policy hook: "audit" is granted to callers with the `auditor` scope."""
    return {"audit"} if claims is not None and "auditor" in claims.scopes else set()


def token(scope: str = "") -> str:
    now = int(time.time())
    claims = {"sub": "u1", "iss": "mosaic", "aud": "mosaic", "iat": now, "exp": now + 600,
              "scope": scope}  # fmt: skip
    return jwt.encode(claims, SECRET, "HS256", headers={"kid": "k1"})


@dataclass
class Guarded:
    router: str
    seen: Seen

    @property
    def ws(self) -> str:
        return self.router.replace("http://", "ws://") + "/graphql"


@contextlib.asynccontextmanager
async def guarded_federation(tmp_path: Path) -> AsyncIterator[Guarded]:
    SEEN.opened.clear()
    SEEN.resolved.clear()
    seen = SEEN
    async with contextlib.AsyncExitStack() as stack:
        alerts = await stack.enter_async_context(serve(app(alerts_schema())))
        accounts = await stack.enter_async_context(serve(app(accounts_schema())))
        result = compose([
            SubgraphSource("alerts", alerts + "/graphql", alerts_schema().as_str()),
            SubgraphSource("accounts", accounts + "/graphql", accounts_schema().as_str()),
        ])  # fmt: skip
        assert result.supergraph_sdl is not None, result.errors
        path = tmp_path / "supergraph.graphql"
        path.write_text(result.supergraph_sdl)
        settings = RouterSettings(  # type: ignore[call-arg]
            _env_file=None,
            supergraph=str(path),
            hot_reload=False,
            jwt_jwks=json.dumps(JWKS),
            jwt_algorithms=["HS256"],
            jwt_issuer="mosaic",
            jwt_audience="mosaic",
            policy_hook=f"{__name__}:decide",
        )
        router = await stack.enter_async_context(serve(create_app(settings)))
        yield Guarded(router, seen)


def tick(n: int, *, note: bool, audit: bool, email: bool) -> dict[str, Any]:
    owner = {"name": "Ada", "email": "ada@example.com" if email else None}
    return {"ticks": {"n": n, "note": f"note {n}" if note else None,
                      "audit": f"audit {n}" if audit else None, "owner": owner}}  # fmt: skip


def denied(*paths: list[str]) -> list[dict[str, Any]]:
    return [{**DENIED, "path": path} for path in paths]


async def _ws_events(url: str, query: str, payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Every message of one graphql-transport-ws operation, up to and with its end."""
    async with open_ws(url) as ws:
        await init(ws, payload)
        await send(ws, {"id": "1", "type": "subscribe", "payload": {"query": query}})
        messages = []
        while True:
            message = await receive(ws)
            messages.append(message)
            if message["type"] in ("complete", "error"):
                return messages


async def test_websocket_nested_fields_follow_the_callers_token(tmp_path: Path) -> None:
    async with guarded_federation(tmp_path) as fed:
        anonymous = await _ws_events(fed.ws, TICKS, {})
        assert anonymous == [
            *({"id": "1", "type": "next", "payload": {
                "errors": denied(["ticks", "note"], ["ticks", "audit"],
                                 ["ticks", "owner", "email"]),
                "data": tick(n, note=False, audit=False, email=False)}} for n in (1, 2)),
            {"id": "1", "type": "complete"},
        ]  # fmt: skip
        assert fed.seen.resolved == []  # no subgraph was asked for a refused field

        signed_in = await _ws_events(fed.ws, TICKS, {"authorization": f"Bearer {token()}"})
        assert [m["payload"] for m in signed_in[:-1]] == [
            {"errors": denied(["ticks", "note"], ["ticks", "audit"]),
             "data": tick(n, note=False, audit=False, email=True)} for n in (1, 2)
        ]  # fmt: skip
        assert sorted(set(fed.seen.resolved)) == ["email"]

        everything = {"authorization": f"Bearer {token('admin auditor')}"}
        admin = await _ws_events(fed.ws, TICKS, everything)
        assert [m["payload"] for m in admin[:-1]] == [
            {"data": tick(n, note=True, audit=True, email=True)} for n in (1, 2)
        ]
        assert admin[-1] == {"id": "1", "type": "complete"}


async def test_websocket_refused_root_field_never_subscribes(tmp_path: Path) -> None:
    async with guarded_federation(tmp_path) as fed:
        messages = await _ws_events(fed.ws, "subscription { secrets }", {})
        assert messages == [
            {"id": "1", "type": "next",
             "payload": {"errors": denied(["secrets"]), "data": None}},
            {"id": "1", "type": "complete"},
        ]  # fmt: skip
        assert fed.seen.opened == []
        allowed = await _ws_events(
            fed.ws, "subscription { secrets }", {"authorization": f"Bearer {token()}"}
        )
        assert allowed[0]["payload"] == {"data": {"secrets": "the secret"}}
        assert fed.seen.opened == ["secrets"]


async def test_legacy_websocket_is_checked_too(tmp_path: Path) -> None:
    async with guarded_federation(tmp_path) as fed, open_ws(fed.ws, "graphql-ws") as ws:
        await send(ws, {"type": "connection_init", "payload": {}})
        assert (await receive(ws))["type"] == "connection_ack"
        assert (await receive(ws))["type"] == "ka"
        await send(ws, {"id": "a", "type": "start", "payload": {"query": TICKS}})
        first = await receive(ws)
        assert first["type"] == "data"
        assert first["payload"]["data"] == tick(1, note=False, audit=False, email=False)
        secrets = {"query": "subscription { secrets }"}
        await send(ws, {"id": "b", "type": "start", "payload": secrets})
        seen: dict[str, list[dict[str, Any]]] = {"a": [first], "b": []}

        def done(id: str) -> bool:
            return bool(seen[id]) and seen[id][-1]["type"] == "complete"

        while not (done("a") and done("b")):
            message = await receive(ws)
            if message["type"] != "ka":
                seen[message["id"]].append(message)
        assert [m["payload"] for m in seen["b"][:-1]] == [
            {"errors": denied(["secrets"]), "data": None}
        ]
        assert fed.seen.opened == ["ticks"]


async def _sse(client: httpx.AsyncClient, query: str, headers: dict[str, str]) -> list[Any]:
    """The `next` payloads of one SSE subscription, read to `complete`."""
    headers = {"accept": "text/event-stream", **headers}
    buffer = ""
    async with client.stream("POST", "/graphql", json={"query": query}, headers=headers) as r:
        assert r.status_code == 200
        async for text in r.aiter_text():
            buffer += text
            if "event: complete" in buffer:
                break
    events = [dict(line.split(": ", 1) for line in e.split("\n"))
              for e in buffer.split("\n\n") if e.strip() and not e.startswith(":")]  # fmt: skip
    assert events[-1]["event"] == "complete"
    return [json.loads(e["data"]) for e in events[:-1]]


async def test_sse_and_multipart_take_the_identity_of_the_request(tmp_path: Path) -> None:
    async with guarded_federation(tmp_path) as fed:
        async with httpx.AsyncClient(base_url=fed.router, timeout=10) as client:
            anonymous = await _sse(client, TICKS, {})
            assert anonymous == [
                {"errors": denied(["ticks", "note"], ["ticks", "audit"],
                                  ["ticks", "owner", "email"]),
                 "data": tick(n, note=False, audit=False, email=False)} for n in (1, 2)
            ]  # fmt: skip
            scoped = {"authorization": f"Bearer {token('admin')}"}
            assert await _sse(client, TICKS, scoped) == [
                {"errors": denied(["ticks", "audit"]),
                 "data": tick(n, note=True, audit=False, email=True)} for n in (1, 2)
            ]  # fmt: skip
            assert await _sse(client, "subscription { secrets }", {}) == [
                {"errors": denied(["secrets"]), "data": None}
            ]
            assert fed.seen.opened == ["ticks", "ticks"]

            multipart = {"accept": 'multipart/mixed;subscriptionSpec="1.0", application/json'}
            body = {"query": "subscription { ticks(count: 1) { n note } }"}
            async with client.stream("POST", "/graphql", json=body, headers=multipart) as r:
                text = (await r.aread()).decode()
            parts = [json.loads(p.split("\r\n\r\n", 1)[1]) for p in text.split("--graphql")
                     if "content-type" in p]  # fmt: skip
            payloads = [p["payload"] for p in parts if "payload" in p]
            assert payloads == [
                {"errors": denied(["ticks", "note"]), "data": {"ticks": {"n": 1, "note": None}}}
            ]
