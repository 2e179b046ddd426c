"""Issue 16's end-to-end flow on `make dev`'s stack (`mosaic dev` itself: every subgraph, the
notifications worker, the dev event log and the router): the `graphql-ws` client, Apollo Client
with GraphQLWsLink and Apollo Client with HttpLink (multipart) subscribe through the router to
`notificationAdded` with fields of three subgraphs; a mutation through the router assigns a task
to the subscriber; each client receives the notification with the notifications, users and
tasks subgraphs' fields."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.utils.dev_stack import DEMO_PROJECT, DevStack
from tests.utils.node import run_node

SCRIPT = Path(__file__).with_name("notification_clients.mjs")


@pytest.mark.peers
async def test_real_clients_receive_an_assignment_from_three_subgraphs(
    dev_stack: DevStack,
) -> None:
    admin = await dev_stack.sign_in("admin@mosaic.dev")
    alice = await dev_stack.sign_in("alice@mosaic.dev")
    admin_id = await dev_stack.user_id(admin)
    task_id, title = await dev_stack.task_to_assign(alice, admin_id)
    args = {"router": dev_stack.router, "subscriber": admin, "assigner": alice,
            "taskId": task_id, "assigneeId": admin_id}  # fmt: skip
    result = await run_node(SCRIPT, args, within=180)
    assert result["ok"], result
    assert result["assigned"] == {"title": title, "assignee": {"name": "Ada Admin"}}
    for client in ("graphqlWs", "apolloWs", "apolloMultipart"):
        event = _plain(result[client]["data"]["notificationAdded"])
        assert event["type"] == "task.assigned", (client, event)
        assert title in event["title"]  # notifications: rendered from its template
        assert event["recipient"] == {"name": "Ada Admin"}  # users
        assert event["subject"] == {"title": title, "project": {"name": DEMO_PROJECT}}  # tasks
        assert result[client]["data"]["notificationAdded"]["subject"]["__typename"] == "Task"


def _plain(value: Any) -> Any:
    """`value` without the `__typename` fields Apollo Client adds to every selection."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k != "__typename"}
    return value
