"""Two tiny Strawberry federation subgraphs (users, tasks) used by config/watch tests."""

from __future__ import annotations

import strawberry


@strawberry.federation.type(keys=["id"])
class User:
    id: strawberry.ID
    name: str


@strawberry.type
class UsersQuery:
    @strawberry.field
    def me(self) -> User:
        return User(id=strawberry.ID("1"), name="Ada")


@strawberry.federation.type(keys=["id"], name="User")
class UserV2:
    id: strawberry.ID
    name: str
    email: str | None = None


@strawberry.type
class UsersQueryV2:
    @strawberry.field
    def me(self) -> UserV2:
        return UserV2(id=strawberry.ID("1"), name="Ada")


@strawberry.type
class BrokenQuery:
    # A second non-shareable `Query.me` alongside users: composition must fail.
    @strawberry.field
    def me(self) -> str:
        return "nobody"


users = strawberry.federation.Schema(query=UsersQuery)
users_v2 = strawberry.federation.Schema(query=UsersQueryV2)


@strawberry.federation.type(keys=["id"], name="User")
class TaskUser:
    id: strawberry.ID

    @strawberry.field
    def task_count(self) -> int:
        return 3


@strawberry.type
class TasksQuery:
    @strawberry.field
    def open_tasks(self) -> int:
        return 1


tasks = strawberry.federation.Schema(query=TasksQuery, types=[TaskUser])
broken = strawberry.federation.Schema(query=BrokenQuery)
