"""A migrated users subgraph served over real HTTP, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select
from starlette.applications import Starlette

import subgraphs.users
from db import Database, migrations
from subgraphs.common.settings import Settings
from subgraphs.users.app import build
from subgraphs.users.models import RefreshToken, User
from tests.utils.asgi import serve
from tests.utils.graphql import GraphQLClient

MIGRATIONS = Path(subgraphs.users.__file__).parent / "migrations"

REGISTER = """
mutation ($input: RegisterInput!) { register(input: $input) { id name email roles } }
"""
LOGIN = """
mutation ($email: String!, $password: String!) {
  login(email: $email, password: $password) {
    accessToken refreshToken expiresIn tokenType user { id email roles }
  }
}
"""
PASSWORD = "correct-horse-9"


@dataclass
class UsersService:
    app: Starlette
    client: GraphQLClient
    base_url: str

    @property
    def db(self) -> Database:
        return self.app.state.runtime.db  # type: ignore[no-any-return]

    async def count(self, model: type[User] | type[RefreshToken]) -> int:
        async with self.db.sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(model)) or 0)

    async def register(self, email: str, name: str = "Test User", password: str = PASSWORD) -> str:
        result = await self.client.execute(
            REGISTER, {"input": {"email": email, "password": password, "name": name}}
        )
        assert result.errors == [], result.errors
        return str(result.data["register"]["id"])

    async def login(self, email: str, password: str = PASSWORD) -> dict[str, str]:
        result = await self.client.execute(LOGIN, {"email": email, "password": password})
        assert result.errors == [], result.errors
        return dict(result.data["login"])

    async def make_admin(self, user_id: str) -> None:
        async with self.db.transaction() as session:
            user = await session.get(User, user_id)
            assert user is not None
            user.roles = ["ADMIN", "USER"]


@pytest.fixture
async def users(settings: Settings, database_url: str) -> AsyncIterator[UsersService]:
    await migrations.upgrade(database_url, MIGRATIONS, "users")
    app = build(settings)
    async with serve(app) as base_url:
        client = GraphQLClient(base_url)
        try:
            yield UsersService(app=app, client=client, base_url=base_url)
        finally:
            await client.aclose()
