"""Upstream trust over real HTTP: a subgraph that requires signatures answers the router
(which signs) and refuses an unsigned, a forged, a stale and a replayed `_entities` call."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import orjson
import pytest

from db import migrations
from router.executor import SubgraphClients
from router.executor.signing import HEADER, Signer, signature
from subgraphs.common.keys import SigningKey, generate_private_pem
from subgraphs.common.settings import Settings
from subgraphs.common.signing import SignatureError, Verifier
from subgraphs.users.app import build
from tests.subgraphs.users.conftest import MIGRATIONS
from tests.utils.asgi import serve

KEY = "s" * 40
ENTITIES = orjson.dumps(
    {
        "query": "query($r: [_Any!]!) { _entities(representations: $r) { __typename } }",
        "variables": {"r": [{"__typename": "User", "id": "nobody"}]},
    }
)


@pytest.fixture
async def signed_users(tmp_path: Path) -> AsyncIterator[str]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        env="dev",
        data_dir=tmp_path / "data",
        database_url=f"sqlite+aiosqlite:///{tmp_path}/{{subgraph}}.db",
        router_signing_key=KEY,
        require_signed_requests=True,
    )
    await migrations.upgrade(settings.database_url_for("users"), MIGRATIONS, "users")
    async with serve(build(settings)) as url:
        yield url


def _code(response: httpx.Response) -> str:
    return str(response.json()["errors"][0]["extensions"]["code"])


async def test_router_requests_pass_and_everything_else_is_refused(signed_users: str) -> None:
    clients = SubgraphClients({"users": f"{signed_users}/graphql"}, signer=Signer(KEY))
    try:
        answer = await clients.post("users", ENTITIES)
    finally:
        await clients.close()
    assert answer == {"data": {"_entities": [None]}}, answer

    url = f"{signed_users}/graphql"
    json_type = {"content-type": "application/json"}
    async with httpx.AsyncClient(timeout=60) as client:
        unsigned = await client.post(url, content=ENTITIES, headers=json_type)
        assert unsigned.status_code == 401 and _code(unsigned) == "UNAUTHENTICATED"

        name, value = Signer(KEY).header("POST", "/graphql", ENTITIES)
        signed = {**json_type, name: value}
        first = await client.post(url, content=ENTITIES, headers=signed)
        assert first.status_code == 200, first.text
        replayed = await client.post(url, content=ENTITIES, headers=signed)
        assert replayed.status_code == 401 and "replayed" in replayed.json()["errors"][0]["message"]

        _, forged = Signer("x" * 40).header("POST", "/graphql", ENTITIES)
        wrong_key = await client.post(url, content=ENTITIES, headers={**json_type, name: forged})
        assert wrong_key.status_code == 401

        _, other_body = Signer(KEY).header("POST", "/graphql", b"{}")
        swapped = await client.post(url, content=ENTITIES, headers={**json_type, name: other_body})
        assert swapped.status_code == 401

        stale_at = int(time.time()) - 3600
        stale = f"v1,t={stale_at},n=n1,s=" + signature(
            KEY.encode(), "POST", "/graphql", stale_at, "n1", ENTITIES
        )
        old = await client.post(url, content=ENTITIES, headers={**json_type, HEADER: stale})
        assert old.status_code == 401 and "expired" in old.json()["errors"][0]["message"]

        assert (await client.get(f"{signed_users}/health")).status_code == 200


async def test_seen_nonces_are_forgotten_after_the_window() -> None:
    verifier = Verifier(KEY, max_age=300)
    now = 1_700_000_000.0
    value = "v1,t=1700000000,n=a,s=" + signature(
        KEY.encode(), "POST", "/graphql", 1_700_000_000, "a", b"{}"
    )
    await verifier.verify(value, "POST", "/graphql", b"{}", now=now)
    with pytest.raises(SignatureError, match="replayed"):
        await verifier.verify(value, "POST", "/graphql", b"{}", now=now + 10)
    with pytest.raises(SignatureError, match="expired"):
        await verifier.verify(value, "POST", "/graphql", b"{}", now=now + 400)
    with pytest.raises(SignatureError, match="malformed"):
        await verifier.verify("garbage", "POST", "/graphql", b"{}", now=now)
    # Signed 200 s ahead of this clock: it passes the age check until t + 300, so its nonce is
    # remembered that long (not just 300 s after it arrived).
    ahead = "v1,t=1700000200,n=b,s=" + signature(
        KEY.encode(), "POST", "/graphql", 1_700_000_200, "b", b"{}"
    )
    await verifier.verify(ahead, "POST", "/graphql", b"{}", now=now)
    with pytest.raises(SignatureError, match="replayed"):
        await verifier.verify(ahead, "POST", "/graphql", b"{}", now=now + 450)


async def test_production_requires_signatures_without_being_told(tmp_path: Path) -> None:
    """MOSAIC_ENV=production alone makes a subgraph refuse unsigned requests (the issue's
    "in production mode"), and it will not start without the key to check them."""
    jwt_key = SigningKey(kid="k1", private_pem=generate_private_pem())
    production = {
        "_env_file": None,
        "env": "production",
        "data_dir": tmp_path / "data",
        "database_url": f"sqlite+aiosqlite:///{tmp_path}/{{subgraph}}.db",
        "jwt_jwks": json.dumps(jwt_key.jwks()),
        "jwt_private_key": jwt_key.private_pem.decode(),
    }
    assert Settings(**production).signed_requests_required  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="MOSAIC_ROUTER_SIGNING_KEY is required"):
        build(Settings(**production))  # type: ignore[arg-type]
    settings = Settings(**production, router_signing_key=KEY)  # type: ignore[arg-type]
    await migrations.upgrade(settings.database_url_for("users"), MIGRATIONS, "users")
    async with serve(build(settings)) as url, httpx.AsyncClient(timeout=60) as client:
        unsigned = await client.post(f"{url}/graphql", content=ENTITIES,
                                     headers={"content-type": "application/json"})  # fmt: skip
        assert unsigned.status_code == 401 and _code(unsigned) == "UNAUTHENTICATED"
        name, value = Signer(KEY).header("POST", "/graphql", ENTITIES)
        signed = await client.post(
            f"{url}/graphql", content=ENTITIES,
            headers={"content-type": "application/json", name: value},
        )  # fmt: skip
        assert signed.json() == {"data": {"_entities": [None]}}, signed.text
