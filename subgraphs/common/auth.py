"""Verifying the caller: bearer JWTs checked against a JWKS (RS256), HS256 only in dev.

A subgraph never trusts a client: it verifies every token itself, even behind the router.
Rejected: `alg: none` and any algorithm other than RS256 (HS256 in dev with a secret), unknown
key ids, bad signatures, wrong issuer or audience, expired tokens.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
import jwt
from jwt.algorithms import RSAAlgorithm

from subgraphs.common.errors import Unauthenticated
from subgraphs.common.keys import dev_signing_key
from subgraphs.common.settings import Settings

ROLES = ("USER", "ADMIN", "PROFESSIONAL")


@dataclass(frozen=True)
class Caller:
    """Who is calling, as proven by a verified access token."""

    user_id: str
    roles: frozenset[str]
    token_id: str | None = None

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @property
    def is_admin(self) -> bool:
        return "ADMIN" in self.roles


class KeySet(Protocol):
    async def get(self, kid: str) -> Any | None:
        """The public key for `kid`, or None when unknown."""
        ...


def _keys_from_jwks(jwks: Mapping[str, Any]) -> dict[str, Any]:
    keys: dict[str, Any] = {}
    for jwk in jwks.get("keys", []):
        if jwk.get("kty") == "RSA" and "kid" in jwk:
            keys[jwk["kid"]] = RSAAlgorithm.from_jwk(json.dumps(jwk))
    return keys


class StaticKeySet:
    def __init__(self, jwks: Mapping[str, Any]) -> None:
        self._keys = _keys_from_jwks(jwks)

    async def get(self, kid: str) -> Any | None:
        return self._keys.get(kid)


class DevKeySet:
    """The public half of the dev signing key in data_dir (re-read when a kid is unknown)."""

    def __init__(self, settings: Settings) -> None:
        self._data_dir = settings.data_dir
        self._keys: dict[str, Any] = {}

    async def get(self, kid: str) -> Any | None:
        if kid not in self._keys:
            self._keys = _keys_from_jwks(dev_signing_key(self._data_dir).jwks())
        return self._keys.get(kid)


class UrlKeySet:
    """A remote JWKS (the users subgraph's /.well-known/jwks.json), cached, refetched on an
    unknown kid at most every `min_refresh` seconds."""

    def __init__(self, url: str, min_refresh: float = 30.0) -> None:
        self._url = url
        self._min_refresh = min_refresh
        self._keys: dict[str, Any] = {}
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()

    async def get(self, kid: str) -> Any | None:
        if kid not in self._keys:
            async with self._lock:
                if (
                    kid not in self._keys
                    and time.monotonic() - self._fetched_at >= self._min_refresh
                ):
                    self._fetched_at = time.monotonic()
                    async with httpx.AsyncClient(timeout=5.0) as client:
                        response = await client.get(self._url)
                        response.raise_for_status()
                    self._keys = _keys_from_jwks(response.json())
        return self._keys.get(kid)


def key_set_from_settings(settings: Settings) -> KeySet:
    if settings.jwt_jwks:
        return StaticKeySet(json.loads(settings.jwt_jwks))
    if settings.jwks_url:
        return UrlKeySet(settings.jwks_url)
    if settings.jwt_private_key:
        from subgraphs.common.keys import load_signing_key

        return StaticKeySet(load_signing_key(settings).jwks())
    if settings.is_dev:
        return DevKeySet(settings)
    raise RuntimeError("set MOSAIC_JWT_JWKS or MOSAIC_JWKS_URL when MOSAIC_ENV=production")


class TokenVerifier:
    def __init__(self, settings: Settings, keys: KeySet) -> None:
        self._settings = settings
        self._keys = keys

    async def verify(self, token: str) -> Caller:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as error:
            raise Unauthenticated("Malformed access token") from error
        algorithm = header.get("alg")
        key: Any
        if algorithm == "RS256":
            kid = header.get("kid")
            key = await self._keys.get(kid) if isinstance(kid, str) else None
            if key is None:
                raise Unauthenticated("Access token signed with an unknown key")
        elif algorithm == "HS256" and self._settings.is_dev and self._settings.jwt_hs256_secret:
            key = self._settings.jwt_hs256_secret
        else:
            raise Unauthenticated(f"Access token algorithm {algorithm!r} is not accepted")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self._settings.jwt_audience,
                issuer=self._settings.jwt_issuer,
                options={"require": ["exp", "iat", "sub"]},
            )
        except jwt.ExpiredSignatureError as error:
            raise Unauthenticated("Access token expired") from error
        except jwt.InvalidTokenError as error:
            raise Unauthenticated("Invalid access token") from error
        roles = claims.get("roles", [])
        if not isinstance(roles, list) or not all(role in ROLES for role in roles):
            raise Unauthenticated("Invalid access token roles")
        jti = claims.get("jti")
        return Caller(
            user_id=str(claims["sub"]),
            roles=frozenset(roles),
            token_id=jti if isinstance(jti, str) else None,
        )


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` value (None when absent)."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Authorization must be 'Bearer <token>'")
    return token.strip()
