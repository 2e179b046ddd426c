"""End to end through the router: every subgraph of supergraph.yaml served over real HTTP on
its own migrated, seeded database, composed from the committed SDL files, and queried the way
a client does (sign in through the router, then one federated query)."""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from db import Database, migrations
from mosaic.subgraphs import discover
from router.compose.config import load_config
from router.compose.output import compose_config
from router.server.app import create_app
from router.settings import RouterSettings
from subgraphs.common.settings import Settings
from tests.utils.asgi import serve

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Federation:
    router_url: str
    subgraphs: dict[str, str]  # name -> base URL
    settings: Settings  # the subgraphs' (a test runs a subgraph's worker with them)


async def _prepare(name: str, settings: Settings) -> None:
    info = next(i for i in discover() if i.name == name)
    url = settings.database_url_for(name)
    if info.migrations_dir is not None:
        await migrations.upgrade(url, info.migrations_dir, name)
    seed = info.seed_function()
    if seed is not None:
        database = Database.from_url(url)
        try:
            await seed(database, settings)
        finally:
            await database.dispose()


@contextlib.asynccontextmanager
async def start_federation(
    tmp_path: Path, signing_key: str | None = None
) -> AsyncIterator[Federation]:
    """Every subgraph and a router over them; with `signing_key`, as in production: the router
    signs its subgraph requests and the subgraphs refuse unsigned ones."""
    config = yaml.safe_load((ROOT / "supergraph.yaml").read_text())
    signed: dict[str, Any] = (
        {"require_signed_requests": True, "router_signing_key": signing_key} if signing_key else {}
    )
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        env="dev",
        data_dir=tmp_path / "data",
        database_url=f"sqlite+aiosqlite:///{tmp_path}/{{subgraph}}.db",
        **signed,
    )
    urls: dict[str, str] = {}
    async with contextlib.AsyncExitStack() as stack:
        for name in config["subgraphs"]:
            await _prepare(name, settings)
            app = importlib.import_module(f"subgraphs.{name}.app").build(settings)
            urls[name] = await stack.enter_async_context(serve(app))
        for name, entry in config["subgraphs"].items():
            entry["routing_url"] = f"{urls[name]}/graphql"
            entry["schema"]["file"] = str(ROOT / entry["schema"]["file"])
        local = tmp_path / "supergraph.yaml"
        local.write_text(yaml.safe_dump(config))
        composed = compose_config(load_config(local, {}))
        assert composed.supergraph_sdl is not None, composed.errors
        supergraph = tmp_path / "supergraph.graphql"
        supergraph.write_text(composed.supergraph_sdl)
        # As `mosaic dev` and docker-compose do: the router verifies tokens with the users
        # subgraph's keys, so the authorization directives (@authenticated, @requiresScopes)
        # see who is calling.
        router = create_app(
            RouterSettings(
                supergraph=str(supergraph),
                hot_reload=False,
                signing_key=signing_key,
                jwt_jwks_url=f"{urls['users']}/.well-known/jwks.json",
            )
        )
        router_url = await stack.enter_async_context(serve(router))
        yield Federation(router_url, urls, settings)


@pytest.fixture
async def federation(tmp_path: Path) -> AsyncIterator[Federation]:
    async with start_federation(tmp_path) as running:
        yield running


async def _post(client: httpx.AsyncClient, query: str, token: str | None = None) -> Any:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = await client.post("/graphql", json={"query": query}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_me_with_projects_tasks_and_assignees(federation: Federation) -> None:
    async with httpx.AsyncClient(base_url=federation.router_url, timeout=30) as client:
        login = await _post(
            client,
            'mutation { login(email: "alice@mosaic.dev", password: "mosaic-demo-1") '
            "{ accessToken } }",
        )
        token = login["data"]["login"]["accessToken"]
        body = await _post(
            client,
            "{ me { name projects { name tasks(first: 5) "
            "{ edges { node { title assignee { name } } } } } } }",
            token,
        )
    assert "errors" not in body, body
    me = body["data"]["me"]
    assert me["name"] == "Alice Doe"
    assert [p["name"] for p in me["projects"]] == ["Website relaunch", "Mobile app"]
    website = me["projects"][0]["tasks"]["edges"]
    assert len(website) == 5
    by_title = {e["node"]["title"]: e["node"]["assignee"] for e in website}
    # Newest first (the default order); assignee names come from the users subgraph.
    assert by_title["Set up redirects"] == {"name": "Bob Stone"}
    assert by_title["Accessibility review"] is None
    assert {"name": "Alice Doe"} in by_title.values()
    mobile = {e["node"]["title"]: e["node"]["assignee"] for e in
              me["projects"][1]["tasks"]["edges"]}  # fmt: skip
    assert mobile == {
        "Store listing": {"name": "Alice Doe"}, "Push notifications": {"name": "Bob Stone"},
        "Cart screen": {"name": "Alice Doe"}, "Sign-in screen": {"name": "Bob Stone"},
    }  # fmt: skip


async def test_router_does_not_leak_other_peoples_tasks(federation: Federation) -> None:
    async with httpx.AsyncClient(base_url=federation.router_url, timeout=30) as client:
        login = await _post(
            client,
            'mutation { login(email: "pro@mosaic.dev", password: "mosaic-demo-1") '
            "{ accessToken } }",
        )
        token = login["data"]["login"]["accessToken"]
        body = await _post(
            client, "{ me { projects { name } assignedTasks { edges { node { title } } } } }", token
        )
        client.cookies.clear()  # login set the auth cookie, which would sign this one in
        anonymous = await _post(client, "{ me { name } }")
    assert "errors" not in body, body
    assert body["data"]["me"]["projects"] == [{"name": "Ops handbook"}]
    assert body["data"]["me"]["assignedTasks"]["edges"] == [{"node": {"title": "On-call rota"}}]
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_login_through_the_router_sets_the_auth_cookie_that_signs_in_me(
    federation: Federation,
) -> None:
    """A browser's round trip: login through the router sets the users subgraph's httpOnly
    cookie; the next request carries only that cookie, and the router (JWT from the cookie,
    verified against users' JWKS, forwarded as a bearer token) answers `me`."""
    async with httpx.AsyncClient(base_url=federation.router_url, timeout=30) as client:
        login = await client.post(
            "/graphql",
            json={"query": 'mutation { login(email: "alice@mosaic.dev", '
                  'password: "mosaic-demo-1") { expiresIn } }'},
        )  # fmt: skip
        assert "errors" not in login.json(), login.text
        cookie = login.headers["set-cookie"]
        assert cookie.startswith("mosaic_auth=") and "HttpOnly" in cookie
        assert client.cookies.get("mosaic_auth")  # kept by the client like a browser would
        me = await client.post("/graphql", json={"query": "{ me { name } }"})
    async with httpx.AsyncClient(base_url=federation.router_url, timeout=30) as stranger:
        anonymous = await stranger.post("/graphql", json={"query": "{ me { name } }"})
    assert me.json() == {"data": {"me": {"name": "Alice Doe"}}}
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_the_admin_only_user_list_is_refused_by_the_router(federation: Federation) -> None:
    """`Query.users` carries @requiresScopes(scopes: [["admin"]]): the router (verifying tokens
    with users' JWKS) answers it only for a token with the admin scope (users mints one scope per
    role), before any fetch."""
    query = "{ users(first: 2) { edges { node { name } } } }"
    tokens = {}
    for who in ("admin", "alice"):
        async with httpx.AsyncClient(base_url=federation.router_url, timeout=30) as client:
            login = await _post(
                client,
                f'mutation {{ login(email: "{who}@mosaic.dev", password: "mosaic-demo-1") '
                "{ accessToken } }",
            )
        tokens[who] = login["data"]["login"]["accessToken"]
    async with httpx.AsyncClient(base_url=federation.router_url, timeout=30) as client:
        alice = await _post(client, query, tokens["alice"])
        admin = await _post(client, query, tokens["admin"])
    assert alice["data"] is None  # users is non-null: its null reaches the root
    assert [(e["path"], e["extensions"]["code"]) for e in alice["errors"]] == [
        (["users"], "UNAUTHORIZED_FIELD_OR_TYPE")
    ]
    assert "errors" not in admin, admin
    assert len(admin["data"]["users"]["edges"]) == 2
