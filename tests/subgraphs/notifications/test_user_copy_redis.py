"""Notifications' copy of users on the real event path: the users subgraph (its outbox relay
publishing to real Redis) -> the notifications worker -> a real SMTP server. A newly registered
user gets the welcome email at the address they registered with; an email change reaches the
copy, and the next notification goes to the new address."""

from __future__ import annotations

from pathlib import Path

import pytest

from db import Database, migrations
from subgraphs.common.events import RedisEventBus
from subgraphs.notifications.models import Recipient
from subgraphs.users.app import build as build_users
from tests.subgraphs.notifications.channel_servers import smtp_server
from tests.subgraphs.notifications.conftest import task_assigned
from tests.subgraphs.notifications.test_pipeline_redis import (
    migrated,
    pipeline_env,
    settings_of,
    wait_for,
    worker_task,
)
from tests.subgraphs.users.conftest import LOGIN, MIGRATIONS, PASSWORD, REGISTER
from tests.utils.asgi import serve
from tests.utils.graphql import GraphQLClient

pytestmark = pytest.mark.redis

CHANGE_EMAIL = "mutation ($e: String!, $p: String!) { changeEmail(email: $e, password: $p) { id } }"


async def test_a_registered_user_is_welcomed_by_email_and_an_email_change_reaches_the_copy(
    tmp_path: Path,
    redis_url: str,
) -> None:
    template = f"sqlite+aiosqlite:///{tmp_path}/{{subgraph}}.db"
    await migrations.upgrade(template.format(subgraph="users"), MIGRATIONS, "users")
    db: Database = await migrated(template.format(subgraph="notifications"))
    publisher = RedisEventBus(redis_url)
    with smtp_server() as mailbox:
        env = pipeline_env(tmp_path, template, redis_url, mailbox.port)  # type: ignore[attr-defined]
        settings = settings_of(env)
        async with serve(build_users(settings)) as users_url, worker_task(settings, "w1"):
            users = GraphQLClient(users_url)
            variables = {"input": {"email": "Newcomer@Example.com", "password": PASSWORD,
                                   "name": "Nora"}}  # fmt: skip
            registered = await users.execute(REGISTER, variables)
            assert registered.errors == [], registered.errors
            user_id = registered.data["register"]["id"]

            await wait_for(lambda: _mails_to(mailbox, "newcomer@example.com", 1), "the welcome")
            copy = await _copy(db, user_id)
            assert (copy.email, copy.name) == ("newcomer@example.com", "Nora")

            login = await users.execute(
                LOGIN, {"email": "newcomer@example.com", "password": PASSWORD}
            )
            token = login.data["login"]["accessToken"]
            moved = await users.execute(
                CHANGE_EMAIL, {"e": "nora@example.org", "p": PASSWORD}, token=token
            )
            assert moved.errors == [], moved.errors

            async def copied() -> bool:
                return (await _copy(db, user_id)).email == "nora@example.org"

            await wait_for(copied, "the new address in the notifications copy")
            await publisher.publish_event(task_assigned(user_id, "After the move"))
            await wait_for(lambda: _mails_to(mailbox, "nora@example.org", 1), "the task email")
            await users.aclose()
        messages = list(mailbox.messages)
    assert [(m["To"], m["Subject"]) for m in messages] == [
        ("newcomer@example.com", "Welcome to Mosaic, Nora!"),
        ("nora@example.org", "Task assigned: After the move"),
    ]
    await publisher.close()
    await db.dispose()


async def _mails_to(mailbox: object, address: str, n: int) -> bool:
    return sum(m["To"] == address for m in mailbox.messages) >= n  # type: ignore[attr-defined]


async def _copy(db: Database, user_id: str) -> Recipient:
    async with db.sessions() as session:
        row = await session.get(Recipient, user_id)
    assert row is not None
    return row
