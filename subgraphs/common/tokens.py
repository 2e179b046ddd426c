"""Minting access tokens (the users subgraph issues them; tests of any subgraph mint them)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable

import jwt

from subgraphs.common.keys import SigningKey
from subgraphs.common.settings import Settings


def mint_access_token(
    settings: Settings,
    key: SigningKey,
    user_id: str,
    roles: Iterable[str],
    *,
    ttl_seconds: int | None = None,
    now: float | None = None,
) -> str:
    issued = int(now if now is not None else time.time())
    ttl = settings.access_token_ttl_seconds if ttl_seconds is None else ttl_seconds
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": user_id,
        "iat": issued,
        "exp": issued + ttl,
        "jti": str(uuid.uuid4()),
        "roles": sorted(set(roles)),
        # OAuth scopes, what the router's @requiresScopes checks: one per role, lower case.
        "scope": " ".join(sorted({role.lower() for role in roles})),
    }
    return jwt.encode(claims, key.private_pem, algorithm="RS256", headers={"kid": key.kid})
