"""Users domain rules and transactions. No GraphQL here: the resolvers translate.

Every check runs before anything is written; a failed call leaves the database unchanged
(except a refresh-token replay, which deliberately revokes the token's family).

Writes that change a user run in a unit of work (`unit_of_work`: their events go to the
outbox in the same transaction), token writes in `Database.transaction()`; both hold
SQLite's write lock from their first read. On PostgreSQL they lock what they decide on: the
user row (FOR UPDATE) for profile, preference and role changes, and a refresh token's
family (an advisory lock) for rotation, replay and logout, so a token cannot be rotated into
a family that is being revoked.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from db import Database, new_id
from db.base import as_utc
from subgraphs.common.auth import ROLES, Caller
from subgraphs.common.errors import BadUserInput, Conflict, Forbidden, NotFound, Unauthenticated
from subgraphs.common.events import EventPublisher
from subgraphs.common.keys import SigningKey
from subgraphs.common.pagination import Page, paginate
from subgraphs.common.settings import Settings
from subgraphs.common.tokens import mint_access_token
from subgraphs.common.unit_of_work import unit_of_work
from subgraphs.common.writes import lock_key
from subgraphs.users.models import RefreshToken, User
from subgraphs.users.passwords import check_password_rules, hash_password, verify_password

log = logging.getLogger("mosaic.users")

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EVENT_TYPE_PATTERN = re.compile(r"^[a-z][a-z_]*(\.[a-z][a-z_]*)+$")
MAX_OPT_OUTS = 100
DEFAULT_PREFERENCES: dict[str, Any] = {
    "channels": {"email": True, "push": False, "in_app": True},
    "opt_outs": [],
}


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    user: User


@dataclass(frozen=True)
class PreferencesChange:
    email: bool | None = None
    push: bool | None = None
    in_app: bool | None = None
    opt_outs: list[str] | None = None


def normalize_email(email: str) -> str:
    value = email.strip().lower()
    if len(value) > 320 or not EMAIL_PATTERN.match(value):
        raise BadUserInput("Email address is not valid", field="email")
    return value


def check_name(name: str) -> str:
    value = name.strip()
    if not 1 <= len(value) <= 200:
        raise BadUserInput("Name must be 1 to 200 characters", field="name")
    return value


def preferences_of(user: User) -> dict[str, Any]:
    stored = user.preferences or {}
    channels = {**DEFAULT_PREFERENCES["channels"], **stored.get("channels", {})}
    return {"channels": channels, "opt_outs": list(stored.get("opt_outs", []))}


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _profile(user: User) -> dict[str, Any]:
    """What every `user.registered` / `user.updated` event carries: the user as consumers keep
    a copy of it (notifications sends email without calling users back). Events travel only
    on the internal bus, never through the router; no secret (password hash, tokens) is ever
    part of one."""
    return {"user_id": user.id, "email": user.email, "name": user.name}


class UserService:
    def __init__(
        self, db: Database, settings: Settings, events: EventPublisher, signing_key: SigningKey
    ) -> None:
        self.db = db
        self.settings = settings
        self.events = events
        self.signing_key = signing_key

    # --- accounts -------------------------------------------------------------------------

    async def register(
        self, email: str, password: str, name: str, roles: Collection[str] = ("USER",)
    ) -> User:
        email = normalize_email(email)
        name = check_name(name)
        check_password_rules(password, email)
        user = User(
            id=new_id(),
            email=email,
            name=name,
            password_hash=await hash_password(password),
            roles=sorted(set(roles)),
            preferences={},
        )
        newcomer = Caller(user.id, frozenset(user.roles))
        try:
            async with unit_of_work(self.db, newcomer, self.events) as uow:
                taken = await uow.session.scalar(select(User.id).where(User.email == email))
                if taken is not None:
                    raise Conflict("An account with this email already exists", field="email")
                uow.session.add(user)
                uow.emit("user.registered", _profile(user), aggregate_id=user.id)
        except IntegrityError as error:  # a concurrent registration won the race
            raise Conflict("An account with this email already exists", field="email") from error
        return user

    async def get(self, user_id: str) -> User:
        async with self.db.sessions() as session:
            user = await session.get(User, user_id)
        if user is None:
            raise NotFound("No user with this id", id=user_id)
        return user

    async def list_users(
        self, caller: Caller | None, first: int | None, after: str | None
    ) -> Page[User]:
        require_admin(caller)
        async with self.db.sessions() as session:
            return await paginate(session, select(User), User.id, first=first, after=after)

    async def update_profile(
        self,
        caller: Caller | None,
        *,
        name: str | None = None,
        bio: str | None = None,
        avatar_url: str | None = None,
    ) -> User:
        caller = require_signed_in(caller)
        changes: dict[str, Any] = {}
        if name is not None:
            changes["name"] = check_name(name)
        if bio is not None:
            if len(bio) > 2000:
                raise BadUserInput("Bio must be at most 2000 characters", field="bio")
            changes["bio"] = bio
        if avatar_url is not None:
            if avatar_url and not re.match(r"^https?://\S+$", avatar_url):
                raise BadUserInput("Avatar URL must be an http(s) URL", field="avatarUrl")
            changes["avatar_url"] = avatar_url or None
        return await self._update(
            caller,
            caller.user_id,
            changes,
            "user.updated",
            lambda user: {**_profile(user), "fields": sorted(changes), "changes": changes},
        )

    async def change_email(self, caller: Caller | None, email: str, password: str) -> User:
        """Move the account to another address; the current password confirms it is the
        owner (an access token alone must not be enough to take the account over)."""
        caller = require_signed_in(caller)
        email = normalize_email(email)
        async with self.db.sessions() as session:
            current = await session.get(User, caller.user_id)
        if current is None:
            raise NotFound("Your account no longer exists")
        if not await verify_password(current.password_hash, password):
            raise BadUserInput("The current password is not right", field="password")
        try:
            async with unit_of_work(self.db, caller, self.events) as uow:
                taken = await uow.session.scalar(
                    select(User.id).where(User.email == email, User.id != caller.user_id)
                )
                if taken is not None:
                    raise Conflict("An account with this email already exists", field="email")
                user = await uow.session.get(
                    User, caller.user_id, with_for_update=True, populate_existing=True
                )
                if user is None:
                    raise NotFound("Your account no longer exists")
                user.email = email
                await uow.session.flush()
                uow.emit(
                    "user.updated",
                    {**_profile(user), "fields": ["email"], "changes": {"email": email}},
                    aggregate_id=user.id,
                )
        except IntegrityError as error:  # a concurrent registration took it meanwhile
            raise Conflict("An account with this email already exists", field="email") from error
        return user

    async def update_preferences(self, caller: Caller | None, change: PreferencesChange) -> User:
        caller = require_signed_in(caller)
        if change.opt_outs is not None:
            if len(change.opt_outs) > MAX_OPT_OUTS:
                raise BadUserInput(f"At most {MAX_OPT_OUTS} opt-outs", field="optOuts")
            bad = [t for t in change.opt_outs if not EVENT_TYPE_PATTERN.match(t)]
            if bad:
                raise BadUserInput(
                    f"Not an event type: {bad[0]!r} (expected e.g. 'task.assigned')",
                    field="optOuts",
                )
        async with unit_of_work(self.db, caller, self.events) as uow:
            user = await uow.session.get(
                User, caller.user_id, with_for_update=True, populate_existing=True
            )
            if user is None:
                raise NotFound("Your account no longer exists")
            preferences = preferences_of(user)
            for channel in ("email", "push", "in_app"):
                value = getattr(change, channel)
                if value is not None:
                    preferences["channels"][channel] = value
            if change.opt_outs is not None:
                preferences["opt_outs"] = sorted(set(change.opt_outs))
            user.preferences = preferences
            uow.emit(
                "user.preferences_updated",
                {"user_id": user.id, "preferences": preferences},
                aggregate_id=user.id,
            )
        return user

    async def set_roles(self, caller: Caller | None, user_id: str, roles: Collection[str]) -> User:
        admin = require_admin(caller)
        unknown = set(roles) - set(ROLES)
        if unknown or not roles:
            raise BadUserInput(f"Roles must be a non-empty subset of {', '.join(ROLES)}")
        return await self._update(
            admin,
            user_id,
            {"roles": sorted(set(roles))},
            "user.roles_changed",
            lambda user: {"user_id": user.id, "roles": user.roles},
        )

    async def _update(
        self,
        caller: Caller,
        user_id: str,
        changes: dict[str, Any],
        event: str,
        payload: Callable[[User], dict[str, Any]],
    ) -> User:
        """Change the user's columns and emit `event` with `payload(user)` in one unit."""
        async with unit_of_work(self.db, caller, self.events) as uow:
            user = await uow.session.get(
                User, user_id, with_for_update=True, populate_existing=True
            )
            if user is None:
                raise NotFound("No user with this id", id=user_id)
            for key, value in changes.items():
                setattr(user, key, value)
            await uow.session.flush()
            uow.emit(event, payload(user), aggregate_id=user.id)
        return user

    # --- sessions -------------------------------------------------------------------------

    async def login(self, email: str, password: str) -> TokenPair:
        try:
            email = normalize_email(email)
        except BadUserInput:
            email = ""
        async with self.db.sessions() as session:
            user = await session.scalar(select(User).where(User.email == email)) if email else None
        if (
            not await verify_password(user.password_hash if user else None, password)
            or user is None
        ):
            raise Unauthenticated("Invalid email or password")
        async with self.db.transaction() as session:
            refresh_token = self._add_refresh_token(session, user.id, family_id=new_id())
        return self._pair(user, refresh_token)

    async def refresh(self, refresh_token: str) -> TokenPair:
        now = datetime.now(UTC)
        replayed_family: str | None = None
        user: User | None = None
        async with self.db.transaction() as session:
            token = await self._lock_token_family(session, refresh_token)
            if token is None or token.revoked_at is not None:
                raise Unauthenticated("Invalid refresh token")
            if as_utc(token.expires_at) <= now:
                raise Unauthenticated("Refresh token expired")
            if token.used_at is not None:
                # Used before: someone replays a rotated token. Revoke the whole family.
                replayed_family = token.family_id
                await self._revoke_family(session, token.family_id, now)
            else:
                user = await session.get(User, token.user_id)
                if user is None:
                    raise Unauthenticated("Invalid refresh token")
                token.used_at = now
                # Under the family's lock: a replay or logout that revokes the family waits
                # for this commit and then revokes the new token too.
                rotated = self._add_refresh_token(session, user.id, token.family_id)
        if replayed_family is not None:
            log.warning("refresh token replayed; family %s revoked", replayed_family)
            raise Unauthenticated("Refresh token was already used; sign in again")
        assert user is not None
        return self._pair(user, rotated)

    async def logout(self, refresh_token: str) -> None:
        async with self.db.transaction() as session:
            token = await self._lock_token_family(session, refresh_token)
            if token is None:
                raise Unauthenticated("Invalid refresh token")
            await self._revoke_family(session, token.family_id, datetime.now(UTC))

    @staticmethod
    async def _lock_token_family(session: Any, refresh_token: str) -> RefreshToken | None:
        """The token, read again after its family is locked (None when there is none).

        Every write to a family (rotation, replay, logout) holds the family's lock, so what
        is read after it stays true until this transaction ends.
        """
        token_hash = _hash_token(refresh_token)
        family_id = await session.scalar(
            select(RefreshToken.family_id).where(RefreshToken.token_hash == token_hash)
        )
        if family_id is None:
            return None
        await lock_key(session, "users.refresh-family", family_id)
        token: RefreshToken | None = await session.scalar(
            select(RefreshToken)
            .where(RefreshToken.token_hash == token_hash)
            .execution_options(populate_existing=True)
        )
        return token

    @staticmethod
    async def _revoke_family(session: Any, family_id: str, now: datetime) -> None:
        await session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    def _add_refresh_token(self, session: Any, user_id: str, family_id: str) -> str:
        """Add a new refresh token of the family to the session; returns the token itself."""
        now = datetime.now(UTC)
        refresh_token = secrets.token_urlsafe(32)
        session.add(
            RefreshToken(
                id=new_id(),
                user_id=user_id,
                family_id=family_id,
                token_hash=_hash_token(refresh_token),
                created_at=now,
                expires_at=now + timedelta(seconds=self.settings.refresh_token_ttl_seconds),
            )
        )
        return refresh_token

    def _pair(self, user: User, refresh_token: str) -> TokenPair:
        access_token = mint_access_token(self.settings, self.signing_key, user.id, user.roles)
        return TokenPair(
            access_token=access_token,
            refresh_token=refresh_token,
            expires_in=self.settings.access_token_ttl_seconds,
            user=user,
        )


def require_signed_in(caller: Caller | None) -> Caller:
    if caller is None:
        raise Unauthenticated("Sign in first: this needs an access token")
    return caller


def require_admin(caller: Caller | None) -> Caller:
    caller = require_signed_in(caller)
    if not caller.is_admin:
        raise Forbidden("Only an admin may do this")
    return caller
