"""RS256 signing keys and their public JWKS.

Production: the PEM comes from `MOSAIC_JWT_PRIVATE_KEY`. Dev: a key is generated once into
`<data_dir>/jwt/private.pem` and reused, so every local process agrees on it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from subgraphs.common.settings import Settings

DEV_KEY_FILE = Path("jwt") / "private.pem"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_pem: bytes

    def public_jwk(self) -> dict[str, Any]:
        private = serialization.load_pem_private_key(self.private_pem, password=None)
        assert isinstance(private, rsa.RSAPrivateKey)
        jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
        return {**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.public_jwk()]}


def generate_private_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def thumbprint(private_pem: bytes) -> str:
    """RFC 7638 JWK thumbprint of the public key: a stable key id."""
    private = serialization.load_pem_private_key(private_pem, password=None)
    assert isinstance(private, rsa.RSAPrivateKey)
    jwk = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    canonical = json.dumps(
        {"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"), sort_keys=True
    )
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def load_signing_key(settings: Settings) -> SigningKey:
    if settings.jwt_private_key:
        pem = settings.jwt_private_key.replace("\\n", "\n").encode()
        return SigningKey(kid=settings.jwt_key_id or thumbprint(pem), private_pem=pem)
    if not settings.is_dev:
        raise RuntimeError("MOSAIC_JWT_PRIVATE_KEY is required when MOSAIC_ENV=production")
    return dev_signing_key(settings.data_dir)


def dev_signing_key(data_dir: Path) -> SigningKey:
    """The dev key under data_dir, generated on first use (atomically: concurrent starts agree)."""
    path = data_dir / DEV_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_bytes(generate_private_pem())
        os.chmod(temporary, 0o600)
        try:
            os.link(temporary, path)  # fails if another process won the race
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    pem = path.read_bytes()
    return SigningKey(kid=thumbprint(pem), private_pem=pem)
