"""Admin listing, profile, preferences and roles: authorization lives in the service."""

from __future__ import annotations

from tests.subgraphs.users.conftest import UsersService

USERS = """
query ($first: Int, $after: String) {
  users(first: $first, after: $after) {
    edges { cursor node { id email } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""
UPDATE_PROFILE = """
mutation ($input: UpdateProfileInput!) { updateProfile(input: $input) { id name bio avatarUrl } }
"""
UPDATE_PREFERENCES = """
mutation ($input: UpdatePreferencesInput!) {
  updatePreferences(input: $input) { preferences { channels { email push inApp } optOuts } }
}
"""
SET_ROLES = """
mutation ($id: ID!, $roles: [Role!]!) { setUserRoles(id: $id, roles: $roles) { id roles } }
"""


async def test_users_is_admin_only_and_pages_with_stable_cursors(users: UsersService) -> None:
    admin = await users.register("admin@example.com")
    await users.make_admin(admin)
    ids = [admin] + [await users.register(f"u{i}@example.com") for i in range(4)]
    user_token = (await users.login("u0@example.com"))["accessToken"]
    admin_token = (await users.login("admin@example.com"))["accessToken"]

    assert (await users.client.execute(USERS)).codes == ["UNAUTHENTICATED"]
    assert (await users.client.execute(USERS, token=user_token)).codes == ["FORBIDDEN"]

    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = await users.client.execute(USERS, {"first": 2, "after": after}, token=admin_token)
        assert page.errors == []
        connection = page.data["users"]
        seen += [edge["node"]["id"] for edge in connection["edges"]]
        info = connection["pageInfo"]
        assert info["hasPreviousPage"] is (after is not None)
        assert info["endCursor"] == connection["edges"][-1]["cursor"]
        pages += 1
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
    assert seen == ids  # creation order, each once
    assert pages == 3
    assert connection["edges"][0]["node"]["email"] == "u3@example.com"  # admins see emails

    bad_first = await users.client.execute(USERS, {"first": 101}, token=admin_token)
    assert bad_first.codes == ["BAD_USER_INPUT"]
    bad_cursor = await users.client.execute(USERS, {"after": "garbage!"}, token=admin_token)
    assert bad_cursor.codes == ["BAD_USER_INPUT"]


async def test_update_profile_changes_only_the_caller(users: UsersService) -> None:
    me = await users.register("prof@example.com", name="Before")
    token = (await users.login("prof@example.com"))["accessToken"]
    result = await users.client.execute(
        UPDATE_PROFILE,
        {"input": {"name": "After", "bio": "Hello", "avatarUrl": "https://img.example/a.png"}},
        token=token,
    )
    assert result.errors == []
    assert result.data["updateProfile"] == {
        "id": me, "name": "After", "bio": "Hello", "avatarUrl": "https://img.example/a.png"
    }  # fmt: skip

    bad = await users.client.execute(
        UPDATE_PROFILE, {"input": {"name": "x", "avatarUrl": "javascript:alert(1)"}}, token=token
    )
    assert bad.codes == ["BAD_USER_INPUT"]
    unchanged = await users.client.execute("{ me { name avatarUrl } }", token=token)
    assert unchanged.data["me"] == {"name": "After", "avatarUrl": "https://img.example/a.png"}

    anonymous = await users.client.execute(UPDATE_PROFILE, {"input": {"name": "Nope"}})
    assert anonymous.codes == ["UNAUTHENTICATED"]


async def test_update_preferences(users: UsersService) -> None:
    await users.register("pref@example.com")
    token = (await users.login("pref@example.com"))["accessToken"]
    defaults = await users.client.execute(
        "{ me { preferences { channels { email push inApp } optOuts } } }", token=token
    )
    assert defaults.data["me"]["preferences"] == {
        "channels": {"email": True, "push": False, "inApp": True}, "optOuts": []
    }  # fmt: skip
    result = await users.client.execute(
        UPDATE_PREFERENCES,
        {"input": {"push": True, "optOuts": ["task.assigned", "order.status_changed"]}},
        token=token,
    )
    assert result.errors == []
    assert result.data["updatePreferences"]["preferences"] == {
        "channels": {"email": True, "push": True, "inApp": True},
        "optOuts": ["order.status_changed", "task.assigned"],
    }
    bad = await users.client.execute(
        UPDATE_PREFERENCES, {"input": {"email": False, "optOuts": ["Not An Event"]}}, token=token
    )
    assert bad.codes == ["BAD_USER_INPUT"]
    again = await users.client.execute("{ me { preferences { channels { email } } } }", token=token)
    assert again.data["me"]["preferences"]["channels"]["email"] is True  # nothing written


async def test_set_roles_is_admin_only_and_roles_reach_the_token(users: UsersService) -> None:
    admin = await users.register("root@example.com")
    await users.make_admin(admin)
    pro = await users.register("pro@example.com")
    pro_token = (await users.login("pro@example.com"))["accessToken"]
    admin_token = (await users.login("root@example.com"))["accessToken"]

    denied = await users.client.execute(SET_ROLES, {"id": pro, "roles": ["ADMIN"]}, token=pro_token)
    assert denied.codes == ["FORBIDDEN"]
    granted = await users.client.execute(
        SET_ROLES, {"id": pro, "roles": ["PROFESSIONAL", "USER"]}, token=admin_token
    )
    assert granted.data["setUserRoles"]["roles"] == ["PROFESSIONAL", "USER"]
    assert (await users.login("pro@example.com"))["user"]["roles"] == ["PROFESSIONAL", "USER"]
    missing = await users.client.execute(
        SET_ROLES, {"id": "nope", "roles": ["USER"]}, token=admin_token
    )
    assert missing.codes == ["NOT_FOUND"]
    empty = await users.client.execute(SET_ROLES, {"id": pro, "roles": []}, token=admin_token)
    assert empty.codes == ["BAD_USER_INPUT"]


async def test_invalid_documents_and_variables_are_bad_user_input(users: UsersService) -> None:
    unknown_field = await users.client.execute("{ me { nope } }")
    assert unknown_field.codes == ["BAD_USER_INPUT"]
    wrong_variable = await users.client.execute(USERS, {"first": "ten"})
    assert wrong_variable.codes == ["BAD_USER_INPUT"]
