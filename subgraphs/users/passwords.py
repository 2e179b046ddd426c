"""Password rules and argon2id hashing (run off the event loop: hashing takes ~0.1 s)."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from subgraphs.common.errors import BadUserInput

MIN_LENGTH = 10
MAX_LENGTH = 128
_hasher = PasswordHasher()
# Verified against when the email is unknown, so both paths cost the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password-0")


def check_password_rules(password: str, email: str) -> None:
    if len(password) < MIN_LENGTH:
        raise BadUserInput(f"Password must be at least {MIN_LENGTH} characters", field="password")
    if len(password) > MAX_LENGTH:
        raise BadUserInput(f"Password must be at most {MAX_LENGTH} characters", field="password")
    if not any(c.isalpha() for c in password) or all(c.isalpha() for c in password):
        raise BadUserInput("Password must mix letters with digits or symbols", field="password")
    if email and email.split("@", 1)[0].lower() in password.lower():
        raise BadUserInput("Password must not contain the email name", field="password")


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    def verify() -> bool:
        try:
            return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify)
