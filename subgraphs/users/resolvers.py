"""Thin Query and Mutation fields: read arguments, call the service, shape the result."""

from __future__ import annotations

import strawberry
from starlette.responses import Response
from strawberry.federation.schema_directives import RequiresScopes

from subgraphs.common.keys import SigningKey
from subgraphs.common.pagination import Connection, to_connection
from subgraphs.users.service import PreferencesChange, TokenPair, UserService
from subgraphs.users.types import (
    AuthPayload,
    RegisterInput,
    Role,
    UpdatePreferencesInput,
    UpdateProfileInput,
    User,
    UsersInfo,
)


def service(info: UsersInfo) -> UserService:
    context = info.context
    signing_key: SigningKey = context.request.app.state.signing_key
    return UserService(context.db, context.settings, context.events, signing_key)


# The httpOnly cookie a browser signs in with (through the router, which reads it by default:
# MOSAIC_ROUTER_JWT_COOKIE); the token is the same access token the payload carries.
AUTH_COOKIE = "mosaic_auth"


def _set_auth_cookie(info: UsersInfo, pair: TokenPair) -> None:
    response = info.context.response
    if isinstance(response, Response):  # not on websockets
        response.set_cookie(
            AUTH_COOKIE,
            pair.access_token,
            max_age=pair.expires_in,
            httponly=True,
            secure=info.context.settings.env == "production",
            samesite="lax",
            path="/",
        )


def _payload(pair: TokenPair) -> AuthPayload:
    return AuthPayload(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        expires_in=pair.expires_in,
        token_type="Bearer",
        user=User.from_row(pair.user, owner=True),
    )


@strawberry.type
class Query:
    @strawberry.field(description="The signed-in user.")
    async def me(self, info: UsersInfo) -> User:
        caller = await info.context.require_caller()
        return User.from_row(await service(info).get(caller.user_id))

    @strawberry.field(description="A user by id; null when there is none.")
    async def user(self, info: UsersInfo, id: strawberry.ID) -> User | None:
        row = await info.context.loaders.user_by_id.load(str(id))
        return None if row is None else User.from_row(row)

    @strawberry.field(
        description="All users, oldest first (admins only).",
        directives=[RequiresScopes(scopes=[["admin"]])],  # the router refuses everyone else
    )
    async def users(
        self, info: UsersInfo, first: int | None = 20, after: str | None = None
    ) -> Connection[User]:
        caller = await info.context.caller()
        page = await service(info).list_users(caller, first, after)
        return to_connection(page, User.from_row)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create an account (role USER).")
    async def register(self, info: UsersInfo, input: RegisterInput) -> User:
        row = await service(info).register(input.email, input.password, input.name)
        return User.from_row(row, owner=True)

    @strawberry.mutation(description="Exchange email and password for tokens.")
    async def login(self, info: UsersInfo, email: str, password: str) -> AuthPayload:
        pair = await service(info).login(email, password)
        _set_auth_cookie(info, pair)
        return _payload(pair)

    @strawberry.mutation(description="Rotate a refresh token: returns new tokens.")
    async def refresh_token(self, info: UsersInfo, refresh_token: str) -> AuthPayload:
        return _payload(await service(info).refresh(refresh_token))

    @strawberry.mutation(description="Revoke a refresh token and every token rotated from it.")
    async def logout(self, info: UsersInfo, refresh_token: str) -> bool:
        await service(info).logout(refresh_token)
        return True

    @strawberry.mutation(description="Change the signed-in user's profile.")
    async def update_profile(self, info: UsersInfo, input: UpdateProfileInput) -> User:
        caller = await info.context.caller()
        row = await service(info).update_profile(
            caller, name=input.name, bio=input.bio, avatar_url=input.avatar_url
        )
        return User.from_row(row)

    @strawberry.mutation(
        description="Move the signed-in user's account to another email address (confirmed "
        "with the current password)."
    )
    async def change_email(self, info: UsersInfo, email: str, password: str) -> User:
        caller = await info.context.caller()
        row = await service(info).change_email(caller, email, password)
        return User.from_row(row, owner=True)

    @strawberry.mutation(description="Change the signed-in user's notification preferences.")
    async def update_preferences(self, info: UsersInfo, input: UpdatePreferencesInput) -> User:
        caller = await info.context.caller()
        change = PreferencesChange(
            email=input.email, push=input.push, in_app=input.in_app, opt_outs=input.opt_outs
        )
        return User.from_row(await service(info).update_preferences(caller, change))

    @strawberry.mutation(description="Replace a user's roles (admins only).")
    async def set_user_roles(self, info: UsersInfo, id: strawberry.ID, roles: list[Role]) -> User:
        caller = await info.context.caller()
        row = await service(info).set_roles(caller, str(id), [r.value for r in roles])
        return User.from_row(row)
