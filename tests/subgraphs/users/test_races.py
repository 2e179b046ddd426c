"""Concurrent account and session writes over HTTP, on SQLite and on PostgreSQL.

The invariants: one account per email (the others get CONFLICT), a refresh token is rotated
at most once, a family that was revoked (a replay, a logout) holds no live token at the end,
whatever order the racing calls ran in, and no preference change is lost. Every refusal is
UNAUTHENTICATED or CONFLICT, never INTERNAL_SERVER_ERROR.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from db import new_id
from subgraphs.users.models import RefreshToken, User
from tests.subgraphs.users.conftest import PASSWORD, REGISTER, UsersService
from tests.subgraphs.users.test_accounts import UPDATE_PREFERENCES
from tests.subgraphs.users.test_auth_flow import LOGOUT, REFRESH
from tests.utils.graphql import Result


async def _family(users: UsersService, refresh_token: str) -> list[RefreshToken]:
    """Every token of the family the given token belongs to."""
    async with users.db.sessions() as session:
        tokens = await session.scalars(select(RefreshToken))
        by_id = {t.id: t for t in tokens}
    digest = hashlib.sha256(refresh_token.encode()).hexdigest()
    family = next(t.family_id for t in by_id.values() if t.token_hash == digest)
    return [t for t in by_id.values() if t.family_id == family]


def _refused(results: list[Result], code: str) -> list[Result]:
    failed = [r for r in results if r.errors]
    assert all(r.codes == [code] for r in failed), [r.errors for r in failed]
    return failed


async def _refresh(users: UsersService, token: str) -> Result:
    return await users.client.execute(REFRESH, {"token": token})


async def test_concurrent_registrations_with_one_email_make_one_account(
    users: UsersService,
) -> None:
    variables = {"input": {"email": "twin@example.com", "password": PASSWORD, "name": "Twin"}}
    results = await asyncio.gather(*(users.client.execute(REGISTER, variables) for _ in range(20)))
    assert len([r for r in results if not r.errors]) == 1
    assert len(_refused(results, "CONFLICT")) == 19
    assert await users.count(User) == 1


async def test_concurrent_refreshes_of_one_token_rotate_it_once(users: UsersService) -> None:
    await users.register("storm@example.com")
    token = (await users.login("storm@example.com"))["refreshToken"]
    results = await asyncio.gather(*(_refresh(users, token) for _ in range(20)))
    assert len([r for r in results if not r.errors]) == 1
    assert len(_refused(results, "UNAUTHENTICATED")) == 19
    family = await _family(users, token)
    # The other 19 presented a token that had been rotated: a replay revokes the family,
    # including the token the winner got.
    assert len(family) == 2
    assert all(t.revoked_at is not None for t in family)


async def _families(users: UsersService, email: str, count: int) -> list[str]:
    """Refresh tokens of `count` fresh families of the user's (as `count` logins would give)."""
    async with users.db.transaction() as session:
        user_id = await session.scalar(select(User.id).where(User.email == email))
        assert user_id is not None
        now = datetime.now(UTC)
        tokens = [secrets.token_urlsafe(16) for _ in range(count)]
        for token in tokens:
            session.add(
                RefreshToken(
                    id=new_id(), user_id=user_id, family_id=new_id(),
                    token_hash=hashlib.sha256(token.encode()).hexdigest(),
                    created_at=now, expires_at=now + timedelta(hours=1),
                )
            )  # fmt: skip
    return tokens


async def _live_tokens(users: UsersService, refresh_tokens: list[str]) -> list[str]:
    """Families (by one of their tokens) that still hold a token that is not revoked."""
    return [t for t in refresh_tokens if any(x.revoked_at is None for x in await _family(users, t))]


async def test_replays_racing_rotation_leave_no_live_token(users: UsersService) -> None:
    """Per family, a replay of its rotated token races a refresh of its current token."""
    await users.register("replay@example.com")
    for _ in range(2):
        firsts = await _families(users, "replay@example.com", 12)
        currents = []
        for first in firsts:
            rotated = await _refresh(users, first)
            currents.append(rotated.data["refreshToken"]["refreshToken"])
        calls = [call for f, c in zip(firsts, currents, strict=True) for call in (
            _refresh(users, f), _refresh(users, c))]  # fmt: skip
        results = await asyncio.gather(*calls)
        assert all(r.errors for r in results[0::2])  # replays never succeed
        _refused(results, "UNAUTHENTICATED")
        assert await _live_tokens(users, firsts) == []
        for result in results:
            if not result.errors:  # a token handed out in the race is dead after it
                fresh = await _refresh(users, result.data["refreshToken"]["refreshToken"])
                assert fresh.codes == ["UNAUTHENTICATED"]


async def test_logout_racing_refresh_leaves_no_live_token(users: UsersService) -> None:
    """Per family, a logout races a refresh of the same token."""
    await users.register("leaving@example.com")
    for _ in range(2):
        tokens = await _families(users, "leaving@example.com", 12)
        calls = [call for t in tokens for call in (
            users.client.execute(LOGOUT, {"token": t}), _refresh(users, t))]  # fmt: skip
        results = await asyncio.gather(*calls)
        assert all(r.data == {"logout": True} for r in results[0::2]), results[0::2]
        _refused(results, "UNAUTHENTICATED")
        assert await _live_tokens(users, tokens) == []


async def test_concurrent_preference_changes_are_all_kept(users: UsersService) -> None:
    await users.register("prefs@example.com")
    access = (await users.login("prefs@example.com"))["accessToken"]

    async def change(**fields: bool) -> Result:
        return await users.client.execute(UPDATE_PREFERENCES, {"input": fields}, token=access)

    for _ in range(10):
        off = await change(email=False, push=False, inApp=False)
        assert off.errors == []
        results = await asyncio.gather(change(email=True), change(push=True), change(inApp=True))
        assert [r.errors for r in results] == [[], [], []]
        me = await users.client.execute(
            "{ me { preferences { channels { email push inApp } } } }", token=access
        )
        assert me.data["me"]["preferences"]["channels"] == {
            "email": True, "push": True, "inApp": True
        }  # fmt: skip
