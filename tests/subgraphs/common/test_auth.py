"""Token verification rules, independent of any subgraph."""

from __future__ import annotations

import json
import time
from pathlib import Path

import jwt
import pytest

from subgraphs.common.auth import (
    DevKeySet,
    StaticKeySet,
    TokenVerifier,
    UrlKeySet,
    bearer_token,
    key_set_from_settings,
)
from subgraphs.common.errors import Unauthenticated
from subgraphs.common.keys import SigningKey, dev_signing_key, generate_private_pem, thumbprint
from subgraphs.common.settings import Settings
from subgraphs.common.tokens import mint_access_token
from tests.utils.asgi import serve


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path, **overrides)  # type: ignore[call-arg]


def _key() -> SigningKey:
    pem = generate_private_pem()
    return SigningKey(kid=thumbprint(pem), private_pem=pem)


async def test_valid_token_gives_the_caller(tmp_path: Path) -> None:
    settings, key = _settings(tmp_path), _key()
    verifier = TokenVerifier(settings, StaticKeySet(key.jwks()))
    caller = await verifier.verify(mint_access_token(settings, key, "u1", ["ADMIN", "USER"]))
    assert caller.user_id == "u1"
    assert caller.roles == {"ADMIN", "USER"} and caller.is_admin
    assert caller.token_id


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"aud": "someone-else"}, "Invalid access token"),
        ({"iss": "evil"}, "Invalid access token"),
        ({"exp": int(time.time()) - 10}, "Access token expired"),
        ({"roles": ["ROOT"]}, "Invalid access token roles"),
    ],
)
async def test_claims_are_checked(tmp_path: Path, change: dict[str, object], message: str) -> None:
    settings, key = _settings(tmp_path), _key()
    now = int(time.time())
    claims = {"iss": "mosaic", "aud": "mosaic", "sub": "u1", "iat": now, "exp": now + 60,
              "roles": ["USER"], **change}  # fmt: skip
    token = jwt.encode(claims, key.private_pem, algorithm="RS256", headers={"kid": key.kid})
    with pytest.raises(Unauthenticated, match=message):
        await TokenVerifier(settings, StaticKeySet(key.jwks())).verify(token)


async def test_a_key_not_in_the_jwks_is_refused(tmp_path: Path) -> None:
    settings, trusted, other = _settings(tmp_path), _key(), _key()
    token = mint_access_token(settings, other, "u1", ["USER"])
    with pytest.raises(Unauthenticated, match="unknown key"):
        await TokenVerifier(settings, StaticKeySet(trusted.jwks())).verify(token)
    # Same kid, different key: the signature fails.
    forged = jwt.encode(
        jwt.decode(token, options={"verify_signature": False}),
        other.private_pem,
        algorithm="RS256",
        headers={"kid": trusted.kid},
    )
    with pytest.raises(Unauthenticated, match="Invalid access token"):
        await TokenVerifier(settings, StaticKeySet(trusted.jwks())).verify(forged)


async def test_hs256_only_in_dev(tmp_path: Path) -> None:
    secret = "s" * 40
    claims = {"iss": "mosaic", "aud": "mosaic", "sub": "u1", "iat": 1, "exp": 4_000_000_000}
    token = jwt.encode(claims, secret, algorithm="HS256")
    dev = _settings(tmp_path, jwt_hs256_secret=secret)
    assert (await TokenVerifier(dev, StaticKeySet({"keys": []})).verify(token)).user_id == "u1"
    production = _settings(tmp_path, env="production", jwt_hs256_secret=secret)
    with pytest.raises(Unauthenticated, match="'HS256' is not accepted"):
        await TokenVerifier(production, StaticKeySet({"keys": []})).verify(token)
    no_secret = _settings(tmp_path)
    with pytest.raises(Unauthenticated, match="'HS256' is not accepted"):
        await TokenVerifier(no_secret, StaticKeySet({"keys": []})).verify(token)


async def test_alg_none_and_garbage_are_refused(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    verifier = TokenVerifier(settings, StaticKeySet({"keys": []}))
    unsigned = jwt.encode({"sub": "u1", "exp": 4_000_000_000, "iat": 1}, None, algorithm="none")
    with pytest.raises(Unauthenticated, match="'none'"):
        await verifier.verify(unsigned)
    with pytest.raises(Unauthenticated, match="Malformed"):
        await verifier.verify("not.a.jwt")


def test_bearer_header_parsing() -> None:
    assert bearer_token(None) is None
    assert bearer_token("Bearer abc") == "abc"
    assert bearer_token("bearer   abc ") == "abc"
    for bad in ("Basic abc", "Bearer", "Bearer   "):
        with pytest.raises(Unauthenticated):
            bearer_token(bad)


async def test_dev_key_is_generated_once_and_shared(tmp_path: Path) -> None:
    first = dev_signing_key(tmp_path)
    second = dev_signing_key(tmp_path)
    assert first == second
    assert (tmp_path / "jwt" / "private.pem").stat().st_mode & 0o077 == 0
    settings = _settings(tmp_path)
    assert isinstance(key_set_from_settings(settings), DevKeySet)
    token = mint_access_token(settings, first, "u1", ["USER"])
    assert (
        await TokenVerifier(settings, key_set_from_settings(settings)).verify(token)
    ).user_id == "u1"


def test_production_needs_configured_keys(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="MOSAIC_JWT_JWKS or MOSAIC_JWKS_URL"):
        key_set_from_settings(_settings(tmp_path, env="production"))
    key = _key()
    configured = _settings(tmp_path, env="production", jwt_jwks=json.dumps(key.jwks()))
    assert isinstance(key_set_from_settings(configured), StaticKeySet)


async def test_remote_jwks_is_fetched_and_cached(tmp_path: Path) -> None:
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    key = _key()
    hits: list[int] = []

    async def jwks(_: object) -> JSONResponse:
        hits.append(1)
        return JSONResponse(key.jwks())

    async with serve(Starlette(routes=[Route("/jwks", jwks)])) as base:
        settings = _settings(tmp_path, jwks_url=f"{base}/jwks")
        keys = key_set_from_settings(settings)
        assert isinstance(keys, UrlKeySet)
        verifier = TokenVerifier(settings, keys)
        for _ in range(3):
            token = mint_access_token(settings, key, "u1", ["USER"])
            assert (await verifier.verify(token)).user_id == "u1"
        with pytest.raises(Unauthenticated, match="unknown key"):
            await verifier.verify(mint_access_token(settings, _key(), "u1", ["USER"]))
    assert len(hits) == 1  # cached; the unknown kid is inside the refetch interval
