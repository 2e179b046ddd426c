"""Register -> login -> me -> refresh -> logout over HTTP, and every bad input on the way."""

from __future__ import annotations

import base64
import json

import jwt

from subgraphs.common.keys import load_signing_key
from subgraphs.common.settings import Settings
from subgraphs.common.tokens import mint_access_token
from subgraphs.users.models import RefreshToken, User
from tests.subgraphs.users.conftest import LOGIN, PASSWORD, REGISTER, UsersService

ME = "{ me { id name email roles } }"
REFRESH = """
mutation ($token: String!) { refreshToken(refreshToken: $token) { accessToken refreshToken } }
"""
LOGOUT = "mutation ($token: String!) { logout(refreshToken: $token) }"


async def test_register_login_me_refresh_logout(users: UsersService) -> None:
    user_id = await users.register("Ada@Example.com", name="Ada")
    tokens = await users.login("ada@example.com")
    assert tokens["tokenType"] == "Bearer"
    assert tokens["expiresIn"] == 900
    assert tokens["user"] == {"id": user_id, "email": "ada@example.com", "roles": ["USER"]}

    me = await users.client.execute(ME, token=tokens["accessToken"])
    assert me.errors == []
    assert me.data["me"] == {
        "id": user_id,
        "name": "Ada",
        "email": "ada@example.com",
        "roles": ["USER"],
    }

    refreshed = await users.client.execute(REFRESH, {"token": tokens["refreshToken"]})
    assert refreshed.errors == []
    new = refreshed.data["refreshToken"]
    assert new["refreshToken"] != tokens["refreshToken"]
    me_again = await users.client.execute(ME, token=new["accessToken"])
    assert me_again.data["me"]["id"] == user_id

    logout = await users.client.execute(LOGOUT, {"token": new["refreshToken"]})
    assert logout.errors == [] and logout.data == {"logout": True}
    after = await users.client.execute(REFRESH, {"token": new["refreshToken"]})
    assert after.codes == ["UNAUTHENTICATED"]


async def test_duplicate_email_is_a_conflict_and_writes_nothing(users: UsersService) -> None:
    await users.register("dup@example.com")
    result = await users.client.execute(
        REGISTER, {"input": {"email": "DUP@example.com ", "password": PASSWORD, "name": "Other"}}
    )
    assert result.codes == ["CONFLICT"]
    assert result.data is None
    assert await users.count(User) == 1


async def test_weak_password_and_bad_fields_are_bad_user_input(users: UsersService) -> None:
    for email, password, name in [
        ("weak@example.com", "short1", "Weak"),
        ("weak@example.com", "onlyletterslong", "Weak"),
        ("weak@example.com", "weak-weak-12345", "Weak"),  # contains the email name
        ("not-an-email", PASSWORD, "Weak"),
        ("weak@example.com", PASSWORD, "   "),
    ]:
        result = await users.client.execute(
            REGISTER, {"input": {"email": email, "password": password, "name": name}}
        )
        assert result.codes == ["BAD_USER_INPUT"], (email, password, name, result.errors)
    assert await users.count(User) == 0


async def test_wrong_password_and_unknown_email_are_unauthenticated(users: UsersService) -> None:
    await users.register("known@example.com")
    for email, password in [
        ("known@example.com", "wrong-password-1"),
        ("nobody@example.com", PASSWORD),
    ]:
        result = await users.client.execute(LOGIN, {"email": email, "password": password})
        assert result.codes == ["UNAUTHENTICATED"]
        assert result.errors[0]["message"] == "Invalid email or password"
    assert await users.count(RefreshToken) == 0


async def test_me_needs_a_token(users: UsersService) -> None:
    result = await users.client.execute(ME)
    assert result.codes == ["UNAUTHENTICATED"]


async def test_expired_token_is_unauthenticated(users: UsersService, settings: Settings) -> None:
    user_id = await users.register("exp@example.com")
    token = mint_access_token(
        settings, load_signing_key(settings), user_id, ["USER"], ttl_seconds=-60
    )
    result = await users.client.execute(ME, token=token)
    assert result.codes == ["UNAUTHENTICATED"]
    assert "expired" in result.errors[0]["message"]


async def test_tampered_token_is_unauthenticated(users: UsersService) -> None:
    user_id = await users.register("tamper@example.com")
    other_id = await users.register("victim@example.com")
    token = (await users.login("tamper@example.com"))["accessToken"]
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["sub"] == user_id
    claims.update(sub=other_id, roles=["ADMIN", "USER"])
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    result = await users.client.execute(ME, token=f"{header}.{forged}.{signature}")
    assert result.codes == ["UNAUTHENTICATED"]
    assert result.data is None


async def test_alg_none_is_unauthenticated(users: UsersService, settings: Settings) -> None:
    user_id = await users.register("none@example.com")
    claims = {"sub": user_id, "iss": settings.jwt_issuer, "aud": settings.jwt_audience,
              "iat": 1, "exp": 4_000_000_000, "roles": ["ADMIN"]}  # fmt: skip
    unsigned = jwt.encode(claims, None, algorithm="none")
    result = await users.client.execute(ME, token=unsigned)
    assert result.codes == ["UNAUTHENTICATED"]
    assert "'none'" in result.errors[0]["message"]


async def test_hs256_is_accepted_in_dev_only_with_the_secret(
    users: UsersService, settings: Settings
) -> None:
    user_id = await users.register("hs@example.com")
    claims = {"sub": user_id, "iss": settings.jwt_issuer, "aud": settings.jwt_audience,
              "iat": 1, "exp": 4_000_000_000, "roles": ["USER"]}  # fmt: skip
    assert settings.jwt_hs256_secret
    good = jwt.encode(claims, settings.jwt_hs256_secret, algorithm="HS256")
    assert (await users.client.execute(ME, token=good)).data["me"]["id"] == user_id
    bad = jwt.encode(claims, "another-secret-0123456789abcdef-xyz", algorithm="HS256")
    assert (await users.client.execute(ME, token=bad)).codes == ["UNAUTHENTICATED"]


async def test_malformed_authorization_header_is_unauthenticated(users: UsersService) -> None:
    response = await users.client.http.post(
        "/graphql", json={"query": ME}, headers={"authorization": "Basic abc"}
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_reusing_a_rotated_refresh_token_revokes_the_family(users: UsersService) -> None:
    await users.register("rot@example.com")
    first = (await users.login("rot@example.com"))["refreshToken"]
    second = (await users.client.execute(REFRESH, {"token": first})).data["refreshToken"]
    replay = await users.client.execute(REFRESH, {"token": first})
    assert replay.codes == ["UNAUTHENTICATED"]
    # The thief's replay also kills the legitimate holder's newer token.
    assert (await users.client.execute(REFRESH, {"token": second["refreshToken"]})).codes == [
        "UNAUTHENTICATED"
    ]
    # Another sign-in starts a new, independent family.
    other = (await users.login("rot@example.com"))["refreshToken"]
    assert (await users.client.execute(REFRESH, {"token": other})).errors == []


async def test_unknown_refresh_token_is_unauthenticated(users: UsersService) -> None:
    for query in (REFRESH, LOGOUT):
        result = await users.client.execute(query, {"token": "not-a-token"})
        assert result.codes == ["UNAUTHENTICATED"]
