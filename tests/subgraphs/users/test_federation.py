"""The federation contract: `_service { sdl }` and batched `_entities`."""

from __future__ import annotations

from typing import Any

import jwt
from graphql import build_ast_schema, parse
from sqlalchemy import event

from subgraphs.common.demo import DEMO_USERS
from tests.subgraphs.users.conftest import UsersService

ENTITIES = """
query ($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on User { id name } }
}
"""


async def test_service_sdl_is_federation_v2_with_user_key(users: UsersService) -> None:
    result = await users.client.execute("{ _service { sdl } }")
    sdl = result.data["_service"]["sdl"]
    assert '@link(url: "https://specs.apollo.dev/federation/v2' in sdl
    assert 'type User @key(fields: "id")' in sdl
    document = parse(sdl)
    names = {d.name.value for d in document.definitions if hasattr(d, "name") and d.name}
    assert {"User", "Query", "Mutation", "UserConnection", "PageInfo"} <= names


async def test_100_representations_cost_exactly_one_sql_statement(users: UsersService) -> None:
    ids = [await users.register(f"e{i}@example.com", name=f"User {i}") for i in range(3)]
    representations = [{"__typename": "User", "id": ids[i % 3]} for i in range(97)]
    representations += [{"__typename": "User", "id": f"missing-{i}"} for i in range(3)]
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    engine = users.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        result = await users.client.execute(ENTITIES, {"representations": representations})
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert result.errors == []
    entities = result.data["_entities"]
    assert len(entities) == 100
    assert [e["id"] for e in entities[:97]] == [ids[i % 3] for i in range(97)]
    assert entities[1]["name"] == "User 1"
    assert entities[97:] == [None, None, None]
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1, statements
    assert len(statements) == 1, statements


async def test_user_by_id_hides_private_fields_from_others(users: UsersService) -> None:
    owner = await users.register("owner@example.com", name="Owner")
    await users.register("other@example.com")
    token = (await users.login("other@example.com"))["accessToken"]
    query = "query ($id: ID!) { user(id: $id) { id name email preferences { optOuts } } }"
    seen = await users.client.execute(query, {"id": owner}, token=token)
    assert seen.data["user"] == {"id": owner, "name": "Owner", "email": None, "preferences": None}
    anonymous = await users.client.execute(query, {"id": owner})
    assert anonymous.data["user"]["email"] is None
    missing = await users.client.execute(query, {"id": "no-such-user"})
    assert missing.errors == [] and missing.data == {"user": None}


async def test_jwks_endpoint_verifies_issued_tokens(users: UsersService) -> None:
    await users.register("jwks@example.com")
    token = (await users.login("jwks@example.com"))["accessToken"]
    response = await users.client.http.get("/.well-known/jwks.json")
    assert response.status_code == 200
    jwks = response.json()
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256"
    key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    claims = jwt.decode(token, jwt.PyJWK(key).key, algorithms=["RS256"], audience="mosaic")
    assert claims["roles"] == ["USER"]
    assert claims["exp"] - claims["iat"] == 900


async def test_health_and_ready(users: UsersService) -> None:
    health = await users.client.http.get("/health")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    ready = await users.client.http.get("/ready")
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}


def test_sdl_parses_as_a_schema_with_federation_definitions() -> None:
    from subgraphs.users.schema import schema

    sdl = schema.as_str()
    assert build_ast_schema(parse(sdl + _FEDERATION_STUBS), assume_valid_sdl=True).get_type("User")
    assert len(DEMO_USERS) >= 3


_FEDERATION_STUBS = """
directive @link(url: String!, import: [String]) repeatable on SCHEMA
directive @key(fields: String!, resolvable: Boolean = true) repeatable on OBJECT | INTERFACE
directive @shareable repeatable on OBJECT | FIELD_DEFINITION
"""
