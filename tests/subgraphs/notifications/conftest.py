"""Notifications test fixtures: a migrated database with the seed templates on SQLite and on
PostgreSQL, the subgraph served over real HTTP, and the worker's event handling on the same
bus as the app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.applications import Starlette

from db import Database, migrations
from subgraphs.common.events import Event, InProcessEventBus
from subgraphs.common.keys import dev_signing_key
from subgraphs.common.settings import Settings
from subgraphs.common.tokens import mint_access_token
from subgraphs.common.unit_of_work import unit_of_work
from subgraphs.notifications import MIGRATIONS
from subgraphs.notifications.app import build
from subgraphs.notifications.models import Recipient, Template
from subgraphs.notifications.seed_templates import SEED_TEMPLATES
from subgraphs.notifications.worker import handle
from tests.utils.asgi import serve
from tests.utils.graphql import GraphQLClient, Result

ALICE = "user-alice"
BOB = "user-bob"
ADMIN = "user-admin"


async def add_templates(db: Database) -> None:
    async with unit_of_work(db, None) as uow:
        for (event_type, locale), (title, body) in SEED_TEMPLATES.items():
            uow.session.add(
                Template(event_type=event_type, locale=locale, version=1, title=title, body=body)
            )


async def add_recipient(db: Database, user_id: str, **values: Any) -> None:
    async with unit_of_work(db, None) as uow:
        defaults: dict[str, Any] = {
            "name": user_id,
            "locale": "en",
            "channels": {},
            "opt_outs": [],
            "per_type": {},
        }
        uow.session.add(Recipient(user_id=user_id, **{**defaults, **values}))


def task_assigned(assignee: str, title: str = "Write the report", **extra: Any) -> Event:
    payload = {"task_id": f"task-{title}", "title": title, "assignee_id": assignee, **extra}
    return Event.new("task.assigned", payload, "someone-else", correlation_id="corr-1")


@dataclass
class NotificationsApi:
    app: Starlette
    client: GraphQLClient
    settings: Settings
    db: Database
    events: InProcessEventBus
    base_url: str

    def token(self, user_id: str, *roles: str) -> str:
        key = dev_signing_key(self.settings.data_dir)
        return mint_access_token(self.settings, key, user_id, roles or ("USER",))

    async def run(
        self, query: str, variables: dict[str, Any] | None = None, *, as_user: str | None = None,
        admin: bool = False,
    ) -> Result:  # fmt: skip
        token = None
        if as_user is not None:
            token = self.token(as_user, *(("ADMIN", "USER") if admin else ("USER",)))
        return await self.client.execute(query, variables, token=token)

    async def ok(
        self, query: str, variables: dict[str, Any] | None = None, *, as_user: str | None = None,
        admin: bool = False,
    ) -> Any:  # fmt: skip
        result = await self.run(query, variables, as_user=as_user, admin=admin)
        assert result.errors == [], result.errors
        return result.data

    async def deliver(self, event: Event) -> int:
        """What the worker does with one event (the same function), on the app's bus."""
        return await handle(self.db, self.events, event)


@pytest.fixture
async def notifications_db(database_url: str) -> AsyncIterator[Database]:
    await migrations.upgrade(database_url, MIGRATIONS, "notifications")
    database = Database.from_url(database_url)
    try:
        await add_templates(database)
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def api(settings: Settings, notifications_db: Database) -> AsyncIterator[NotificationsApi]:
    events = InProcessEventBus()
    app = build(settings, events=events)
    async with serve(app) as base_url:
        client = GraphQLClient(base_url)
        try:
            yield NotificationsApi(app, client, settings, notifications_db, events, base_url)
        finally:
            await client.aclose()
