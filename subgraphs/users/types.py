"""GraphQL types of the users subgraph. `resolve_reference` only calls the DataLoader."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from subgraphs.common.context import Context
from subgraphs.users import models
from subgraphs.users.loaders import Loaders
from subgraphs.users.service import preferences_of

UsersInfo = Info[Context[Loaders], None]


@strawberry.enum
class Role(Enum):
    USER = "USER"
    ADMIN = "ADMIN"
    PROFESSIONAL = "PROFESSIONAL"


@strawberry.type
class NotificationChannels:
    email: bool
    push: bool
    in_app: bool


@strawberry.type
class Preferences:
    channels: NotificationChannels
    opt_outs: list[str] = strawberry.field(
        description="Event types (e.g. `task.assigned`) the user receives no notification for."
    )


@strawberry.federation.type(keys=["id"], description="A person with an account.")
class User:
    id: strawberry.ID
    name: str
    bio: str | None
    avatar_url: str | None
    roles: list[Role]
    created_at: datetime
    row: strawberry.Private[models.User]
    # True when the caller just proved to be this user (register, login): shows private fields.
    owner: strawberry.Private[bool] = False

    @classmethod
    def from_row(cls, row: models.User, *, owner: bool = False) -> User:
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            bio=row.bio,
            avatar_url=row.avatar_url,
            roles=[Role(r) for r in row.roles],
            created_at=row.created_at,
            row=row,
            owner=owner,
        )

    @classmethod
    async def resolve_reference(cls, info: UsersInfo, id: strawberry.ID) -> User | None:
        row = await info.context.loaders.user_by_id.load(str(id))
        return None if row is None else cls.from_row(row)

    async def _visible_to(self, info: UsersInfo) -> bool:
        if self.owner:
            return True
        caller = await info.context.caller()
        return caller is not None and (caller.user_id == self.row.id or caller.is_admin)

    @strawberry.field(description="Visible to the user and to admins; null for anyone else.")
    async def email(self, info: UsersInfo) -> str | None:
        return self.row.email if await self._visible_to(info) else None

    @strawberry.field(description="Visible to the user and to admins; null for anyone else.")
    async def preferences(self, info: UsersInfo) -> Preferences | None:
        if not await self._visible_to(info):
            return None
        stored = preferences_of(self.row)
        channels: dict[str, Any] = stored["channels"]
        return Preferences(
            channels=NotificationChannels(
                email=channels["email"], push=channels["push"], in_app=channels["in_app"]
            ),
            opt_outs=stored["opt_outs"],
        )


@strawberry.type
class AuthPayload:
    access_token: str = strawberry.field(description="RS256 JWT; send as `Authorization: Bearer`.")
    refresh_token: str = strawberry.field(description="Single use: each refresh rotates it.")
    expires_in: int = strawberry.field(description="Seconds until the access token expires.")
    token_type: str
    user: User


@strawberry.input
class RegisterInput:
    email: str
    password: str
    name: str


@strawberry.input
class UpdateProfileInput:
    name: str | None = None
    bio: str | None = None
    avatar_url: str | None = None


@strawberry.input
class UpdatePreferencesInput:
    email: bool | None = None
    push: bool | None = None
    in_app: bool | None = None
    opt_outs: list[str] | None = None
