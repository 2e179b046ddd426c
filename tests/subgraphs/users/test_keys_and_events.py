"""Production signing keys from settings, domain events, and concurrent refreshes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import jwt
import pytest

from db import migrations
from subgraphs.common.keys import generate_private_pem, thumbprint
from subgraphs.common.settings import Settings
from subgraphs.users.app import build
from tests.subgraphs.users.conftest import LOGIN, MIGRATIONS, PASSWORD, REGISTER, UsersService
from tests.utils.asgi import serve
from tests.utils.graphql import GraphQLClient

REFRESH = "mutation ($t: String!) { refreshToken(refreshToken: $t) { refreshToken } }"


async def test_production_signs_with_the_configured_key(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/users.db"
    await migrations.upgrade(url, MIGRATIONS, "users")
    pem = generate_private_pem()
    base = {
        "_env_file": None,
        "env": "production",
        "data_dir": tmp_path,
        "database_url": url,
        # This test talks to the subgraph directly, not through a signing router.
        "require_signed_requests": False,
    }
    with pytest.raises(RuntimeError, match="MOSAIC_JWT_PRIVATE_KEY is required"):
        build(Settings(**base))  # type: ignore[arg-type]
    escaped = pem.decode().replace("\n", "\\n")  # env files often hold the PEM on one line
    settings = Settings(**base, jwt_private_key=escaped)  # type: ignore[arg-type]
    async with serve(build(settings)) as base_url:
        client = GraphQLClient(base_url)
        variables = {"input": {"email": "prod@example.com", "password": PASSWORD, "name": "P"}}
        assert (await client.execute(REGISTER, variables)).errors == []
        login = await client.execute(LOGIN, {"email": "prod@example.com", "password": PASSWORD})
        token = login.data["login"]["accessToken"]
        jwks = (await client.http.get("/.well-known/jwks.json")).json()
        await client.aclose()
    assert [k["kid"] for k in jwks["keys"]] == [thumbprint(pem)]
    assert jwt.get_unverified_header(token)["kid"] == thumbprint(pem)
    assert not (tmp_path / "jwt").exists()  # no dev key generated in production


async def test_register_and_preferences_publish_events(users: UsersService) -> None:
    bus = users.app.state.runtime.events
    async with bus.subscribe() as events:
        user_id = await users.register("events@example.com")
        token = (await users.login("events@example.com"))["accessToken"]
        await users.client.execute(
            "mutation { updatePreferences(input: {push: true}) { id } }", token=token
        )
        received = [await asyncio.wait_for(anext(aiter(events)), 5) for _ in range(2)]
    assert [e.type for e in received] == ["user.registered", "user.preferences_updated"]
    assert all(e.actor_id == user_id for e in received)
    # Consumers keep their own copy of the user (notifications emails them): the address and
    # name travel with the event; no secret ever does.
    assert received[0].payload == {
        "user_id": user_id,
        "email": "events@example.com",
        "name": "Test User",
    }
    assert "password" not in str(received[0].payload).lower()
    assert received[1].payload["preferences"]["channels"]["push"] is True


CHANGE_EMAIL = """
mutation ($e: String!, $p: String!) { changeEmail(email: $e, password: $p) { email } }
"""


async def test_updates_carry_the_new_values_and_email_changes_need_the_password(
    users: UsersService,
) -> None:
    bus = users.app.state.runtime.events
    user_id = await users.register("before@example.com")
    await users.register("taken@example.com")
    token = (await users.login("before@example.com"))["accessToken"]
    async with bus.subscribe(["user.updated"]) as events:
        profile = await users.client.execute(
            'mutation { updateProfile(input: {name: "Renamed", bio: "Hi"}) { name } }', token=token
        )
        assert profile.errors == [], profile.errors
        wrong = await users.client.execute(
            CHANGE_EMAIL, {"e": "after@example.com", "p": "not-the-password-1"}, token=token
        )
        taken = await users.client.execute(
            CHANGE_EMAIL, {"e": "taken@example.com", "p": PASSWORD}, token=token
        )
        moved = await users.client.execute(
            CHANGE_EMAIL, {"e": " After@Example.com ", "p": PASSWORD}, token=token
        )
        received = [await asyncio.wait_for(anext(aiter(events)), 5) for _ in range(2)]
    assert wrong.codes == ["BAD_USER_INPUT"] and taken.codes == ["CONFLICT"]
    assert moved.errors == [] and moved.data["changeEmail"]["email"] == "after@example.com"
    assert received[0].payload == {
        "user_id": user_id,
        "email": "before@example.com",
        "name": "Renamed",
        "fields": ["bio", "name"],
        "changes": {"bio": "Hi", "name": "Renamed"},
    }
    assert received[1].payload == {
        "user_id": user_id,
        "email": "after@example.com",
        "name": "Renamed",
        "fields": ["email"],
        "changes": {"email": "after@example.com"},
    }
    await users.login("after@example.com")  # the new address signs in
    old = await users.client.execute(LOGIN, {"email": "before@example.com", "password": PASSWORD})
    assert old.codes == ["UNAUTHENTICATED"]


async def test_concurrent_refreshes_of_one_token_let_at_most_one_through(
    users: UsersService,
) -> None:
    await users.register("race@example.com")
    token = (await users.login("race@example.com"))["refreshToken"]
    results = await asyncio.gather(*(users.client.execute(REFRESH, {"t": token}) for _ in range(4)))
    successes = [r for r in results if not r.errors]
    assert len(successes) <= 1
    assert all(r.codes == ["UNAUTHENTICATED"] for r in results if r.errors)
    # A replay among them revoked the family: even the winner's new token is dead.
    for success in successes:
        again = await users.client.execute(
            REFRESH, {"t": success.data["refreshToken"]["refreshToken"]}
        )
        assert again.codes == ["UNAUTHENTICATED"]
