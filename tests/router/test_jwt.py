"""JWT at the router: keys from the real users subgraph's JWKS over HTTP, every bypass attempt
refused with UNAUTHENTICATED, and key rotation picked up on an unknown kid."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from router.auth.jwt import (
    Authenticator,
    AuthError,
    JwtConfig,
    KeySource,
    UrlKeySource,
    parse_jwks,
    token_from,
)
from router.server.app import create_app
from router.settings import RouterSettings
from subgraphs.common.keys import SigningKey, dev_signing_key, generate_private_pem, thumbprint
from subgraphs.common.settings import Settings
from subgraphs.common.tokens import mint_access_token
from subgraphs.users.app import build
from tests.router.canned import case_supergraph
from tests.utils.asgi import serve

CASE = Path(__file__).parent / "cases" / "shop-basic"
CONFIG = JwtConfig(algorithms=frozenset({"RS256"}), issuer="mosaic", audience="mosaic", leeway=30)


@pytest.fixture
def subgraph_settings(tmp_path: Path) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        env="dev",
        data_dir=tmp_path / "data",
        database_url=f"sqlite+aiosqlite:///{tmp_path}/{{subgraph}}.db",
    )


@pytest.fixture
async def users_jwks(subgraph_settings: Settings) -> AsyncIterator[str]:
    """The JWKS URL of a real users subgraph (its dev signing key), served over HTTP."""
    async with serve(build(subgraph_settings)) as url:
        yield f"{url}/.well-known/jwks.json"


def _key(settings: Settings) -> SigningKey:
    return dev_signing_key(settings.data_dir)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned(claims: dict[str, Any], header: dict[str, Any]) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}."


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {"iss": "mosaic", "aud": "mosaic", "sub": "u1", "iat": now, "exp": now + 600}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _sign(key: SigningKey, claims: dict[str, Any], kid: str | None = None) -> str:
    return jwt.encode(claims, key.private_pem, algorithm="RS256", headers={"kid": kid or key.kid})


async def _refused(auth: Authenticator, token: str) -> str:
    with pytest.raises(AuthError) as caught:
        await auth.verify(token)
    assert caught.value.code == "UNAUTHENTICATED"
    return caught.value.message


async def test_a_token_of_the_users_subgraph_is_accepted(
    users_jwks: str, subgraph_settings: Settings
) -> None:
    auth = Authenticator(UrlKeySource(users_jwks), CONFIG)
    token = mint_access_token(subgraph_settings, _key(subgraph_settings), "u-42", ["ADMIN"])
    claims = await auth.verify(token)
    assert claims.subject == "u-42"
    assert claims.values["roles"] == ["ADMIN"]


async def test_every_bypass_attempt_is_unauthenticated(
    users_jwks: str, subgraph_settings: Settings
) -> None:
    auth = Authenticator(UrlKeySource(users_jwks, min_refresh=0), CONFIG)
    key = _key(subgraph_settings)
    now = int(time.time())

    message = await _refused(auth, _unsigned(_claims(), {"alg": "none", "kid": key.kid}))
    assert "'none' is not accepted" in message

    # HS256 signed with the RS256 public key (the key confusion attack).
    public_pem = (
        serialization.load_pem_private_key(key.private_pem, password=None)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": key.kid}).encode())
    payload = _b64(json.dumps(_claims()).encode())
    mac = hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    assert "'HS256' is not accepted" in await _refused(auth, f"{header}.{payload}.{_b64(mac)}")
    # Even with HS256 allowed, an RSA key never checks an HMAC.
    lenient = Authenticator(
        UrlKeySource(users_jwks), JwtConfig(algorithms=frozenset({"RS256", "HS256"}))
    )
    assert "unknown key" in await _refused(lenient, f"{header}.{payload}.{_b64(mac)}")

    expired = _sign(key, _claims(iat=now - 1000, exp=now - 600))
    assert "expired" in await _refused(auth, expired)
    assert "not valid yet" in await _refused(auth, _sign(key, _claims(nbf=now + 120)))
    assert "audience" in await _refused(auth, _sign(key, _claims(aud="elsewhere")))
    assert "issuer" in await _refused(auth, _sign(key, _claims(iss="someone")))
    assert "'exp'" in await _refused(auth, _sign(key, _claims(exp=None)))
    assert "unknown key" in await _refused(auth, _sign(key, _claims(), kid="no-such-kid"))
    other = SigningKey(kid=key.kid, private_pem=generate_private_pem())  # right kid, wrong key
    assert "signature" in await _refused(auth, _sign(other, _claims()))
    assert "malformed" in await _refused(auth, "not.a.token")

    # Within the leeway, exp and nbf are forgiven (clock skew between machines).
    now = int(time.time())
    assert await auth.verify(_sign(key, _claims(exp=now - 5)))
    assert await auth.verify(_sign(key, _claims(nbf=now + 5)))


async def test_a_remembered_token_still_expires() -> None:
    pem = generate_private_pem()
    key = SigningKey(kid="k1", private_pem=pem)
    auth = Authenticator(KeySource(parse_jwks(key.jwks())), JwtConfig(frozenset({"RS256"})))
    now = int(time.time())
    token = _sign(key, _claims(exp=now + 3))
    assert (await auth.verify(token)).subject == "u1"
    # The cache holds (claims, nbf, exp): a later check past exp is refused without re-verifying.
    claims, nbf, _exp, version = auth._verified[token]
    auth._verified[token] = (claims, nbf, now - 120.0, version)
    assert "expired" in await _refused(auth, token)


async def test_rotation_is_picked_up_on_an_unknown_kid() -> None:
    old = SigningKey(kid="", private_pem=generate_private_pem())
    old = SigningKey(kid=thumbprint(old.private_pem), private_pem=old.private_pem)
    new_pem = generate_private_pem()
    new = SigningKey(kid=thumbprint(new_pem), private_pem=new_pem)
    published = {"keys": [old.public_jwk()]}
    requests = 0

    async def jwks(_: Request) -> JSONResponse:
        nonlocal requests
        requests += 1
        return JSONResponse(published)

    app = Starlette(routes=[Route("/jwks", jwks)])
    async with serve(app) as url:
        source = UrlKeySource(f"{url}/jwks", min_refresh=0)
        auth = Authenticator(source, JwtConfig(frozenset({"RS256"})))
        assert await auth.verify(_sign(old, _claims()))
        assert await auth.verify(_sign(old, _claims(sub="u2")))
        assert requests == 1  # cached
        # The issuer rotates: new tokens carry the new kid; the router refetches once.
        published = {"keys": [new.public_jwk()]}
        assert (await auth.verify(_sign(new, _claims(sub="u3")))).subject == "u3"
        assert requests == 2
        assert "unknown key" in await _refused(auth, _sign(old, _claims(sub="u4")))
        # The key set changed, so tokens verified with the old keys are not trusted from memory.
        assert "unknown key" in await _refused(auth, _sign(old, _claims()))


async def test_unknown_kids_do_not_hammer_the_jwks_url() -> None:
    key = SigningKey(kid="k1", private_pem=generate_private_pem())
    requests = 0

    async def jwks(_: Request) -> JSONResponse:
        nonlocal requests
        requests += 1
        return JSONResponse(key.jwks())

    async with serve(Starlette(routes=[Route("/jwks", jwks)])) as url:
        auth = Authenticator(UrlKeySource(f"{url}/jwks", min_refresh=3600), CONFIG)
        for i in range(5):
            await _refused(auth, _sign(key, _claims(), kid=f"junk-{i}"))
    assert requests == 1


def test_token_sources() -> None:
    assert token_from("Bearer abc", "", "mosaic_auth") == "abc"
    assert token_from("", "theme=dark; mosaic_auth=xyz", "mosaic_auth") == "xyz"
    assert token_from("", "theme=dark", "mosaic_auth") is None
    assert token_from("Bearer abc", "mosaic_auth=xyz", "mosaic_auth") == "abc"
    with pytest.raises(AuthError):
        token_from("Basic dXNlcjpwYXNz", "", "mosaic_auth")


async def test_router_refuses_bad_tokens_and_accepts_the_cookie(
    users_jwks: str, subgraph_settings: Settings
) -> None:
    key = _key(subgraph_settings)
    settings = RouterSettings(
        _env_file=None,  # type: ignore[call-arg]
        supergraph=str(case_supergraph(CASE)),
        hot_reload=False,
        jwt_jwks_url=users_jwks,
        jwt_issuer="mosaic",
        jwt_audience="mosaic",
    )
    query = {"query": "{ __typename }"}
    async with (
        serve(create_app(settings)) as url,
        httpx.AsyncClient(base_url=url, timeout=60) as client,
    ):
        anonymous = await client.post("/graphql", json=query)
        assert anonymous.json() == {"data": {"__typename": "Query"}}
        good = _sign(key, _claims())
        bearer = await client.post(
            "/graphql", json=query, headers={"authorization": f"Bearer {good}"}
        )
        assert bearer.json() == {"data": {"__typename": "Query"}}
        cookie = await client.post(
            "/graphql", json=query, headers={"cookie": f"mosaic_auth={good}"}
        )
        assert cookie.json() == {"data": {"__typename": "Query"}}
        expired = _sign(key, _claims(exp=int(time.time()) - 600))
        for headers in (
            {"authorization": f"Bearer {expired}"},
            {"cookie": f"mosaic_auth={expired}"},
            {"authorization": "Bearer " + _unsigned(_claims(), {"alg": "none"})},
            {"authorization": "Token abc"},
        ):
            refused = await client.post("/graphql", json=query, headers=headers)
            assert refused.status_code == 401, headers
            assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_concurrent_first_requests_all_wait_for_the_first_fetch(
    users_jwks: str, subgraph_settings: Settings
) -> None:
    auth = Authenticator(UrlKeySource(users_jwks), CONFIG)
    key = _key(subgraph_settings)
    tokens = [_sign(key, _claims(sub=f"u{i}")) for i in range(20)]
    claims = await asyncio.gather(*(auth.verify(token) for token in tokens))
    assert [c.subject for c in claims] == [f"u{i}" for i in range(20)]
