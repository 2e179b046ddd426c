"""The notifications subgraph over real HTTP: the caller's notifications, reading them,
preferences, versioned templates, admin sends, and the live subscription over
graphql-transport-ws (only the caller's own)."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets
from sqlalchemy import func, select

from subgraphs.notifications.models import Notification
from subgraphs.notifications.seed_templates import SEED_TEMPLATES
from tests.subgraphs.notifications.conftest import (
    ADMIN,
    ALICE,
    BOB,
    NotificationsApi,
    add_recipient,
    task_assigned,
)

LIST = """query($unread: Boolean!, $first: Int, $after: String) {
  notifications(unreadOnly: $unread, first: $first, after: $after) {
    edges { cursor node { id type title body data readAt recipient { id }
      subject { __typename ... on Task { id } } deliveries { channel status attempts } } }
    pageInfo { hasNextPage endCursor }
  }
  unreadCount
}"""


async def _count(api: NotificationsApi) -> int:
    async with api.db.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Notification)) or 0)


async def test_an_event_becomes_the_recipients_notification_rendered_in_their_locale(
    api: NotificationsApi,
) -> None:
    await add_recipient(api.db, ALICE, email="alice@example.com")
    await add_recipient(api.db, BOB, locale="de")
    assert await api.deliver(task_assigned(ALICE, "Ship it")) == 1
    assert await api.deliver(task_assigned(BOB, "Prüfen")) == 1

    data = await api.ok(LIST, {"unread": False}, as_user=ALICE)
    (edge,) = data["notifications"]["edges"]
    node = edge["node"]
    assert node["title"] == "Task assigned: Ship it"
    assert node["recipient"] == {"id": ALICE}
    assert node["subject"] == {"__typename": "Task", "id": "task-Ship it"}
    assert node["data"]["assignee_id"] == ALICE
    assert {(d["channel"], d["status"]) for d in node["deliveries"]} == {
        ("in_app", "SENT"),
        ("email", "QUEUED"),
    }
    assert data["unreadCount"] == 1
    bob = await api.ok(LIST, {"unread": False}, as_user=BOB)
    assert bob["notifications"]["edges"][0]["node"]["title"] == "Aufgabe zugewiesen: Prüfen"


async def test_a_redelivered_event_stores_nothing_more(api: NotificationsApi) -> None:
    event = task_assigned(ALICE)
    assert await api.deliver(event) == 1
    assert await api.deliver(event) == 0
    assert await _count(api) == 1


async def test_the_actor_is_not_told_about_their_own_action(api: NotificationsApi) -> None:
    event = task_assigned(ALICE)
    own = type(event)(**{**event.__dict__, "actor_id": ALICE})
    assert await api.deliver(own) == 0


async def test_mark_read_only_touches_the_callers_notifications(api: NotificationsApi) -> None:
    for n in range(3):
        await api.deliver(task_assigned(ALICE, f"a{n}"))
    await api.deliver(task_assigned(BOB, "b"))
    page = await api.ok(LIST, {"unread": False, "first": 2}, as_user=ALICE)
    assert page["notifications"]["pageInfo"]["hasNextPage"] is True
    rest = await api.ok(
        LIST, {"unread": False, "after": page["notifications"]["pageInfo"]["endCursor"]},
        as_user=ALICE,
    )  # fmt: skip
    assert len(rest["notifications"]["edges"]) == 1
    first_id = page["notifications"]["edges"][0]["node"]["id"]
    bobs = await api.ok(LIST, {"unread": False}, as_user=BOB)
    bob_id = bobs["notifications"]["edges"][0]["node"]["id"]

    marked = await api.ok(
        "mutation($ids: [ID!]!) { markRead(ids: $ids) }", {"ids": [first_id, bob_id]}, as_user=ALICE
    )
    assert marked == {"markRead": 1}
    unread = await api.ok(LIST, {"unread": True}, as_user=ALICE)
    assert first_id not in [e["node"]["id"] for e in unread["notifications"]["edges"]]
    assert unread["unreadCount"] == 2
    assert (await api.ok("{ unreadCount }", as_user=BOB)) == {"unreadCount": 1}
    assert await api.ok("mutation { markAllRead }", as_user=ALICE) == {"markAllRead": 2}
    assert (await api.ok("{ unreadCount }", as_user=ALICE)) == {"unreadCount": 0}


async def test_anonymous_callers_are_refused(api: NotificationsApi) -> None:
    result = await api.run(LIST, {"unread": False})
    assert result.codes == ["UNAUTHENTICATED"]
    assert (await api.run("mutation { markAllRead }")).codes == ["UNAUTHENTICATED"]


PREFS = """mutation($input: NotificationPreferencesInput!) {
  updateNotificationPreferences(input: $input) { channels perType locale webhookUrl }
}"""


async def test_preferences_per_channel_and_per_event_type(api: NotificationsApi) -> None:
    await add_recipient(api.db, ALICE, email="alice@example.com")
    switches = [{"channel": "email", "enabled": False, "eventType": "task.assigned"}]
    data = await api.ok(PREFS, {"input": {"switches": switches, "locale": "de"}}, as_user=ALICE)
    assert data["updateNotificationPreferences"]["perType"] == {"task.assigned": {"email": False}}
    await api.deliver(task_assigned(ALICE, "x"))
    page = await api.ok(LIST, {"unread": False}, as_user=ALICE)
    node = page["notifications"]["edges"][0]["node"]
    assert [d["channel"] for d in node["deliveries"]] == ["in_app"]
    assert node["title"] == "Aufgabe zugewiesen: x"

    off = [{"channel": "in_app", "enabled": False}, {"channel": "email", "enabled": False}]
    await api.ok(PREFS, {"input": {"switches": off}}, as_user=ALICE)
    assert await api.deliver(task_assigned(ALICE, "y")) == 0

    bad = await api.run(
        PREFS, {"input": {"switches": [{"channel": "pigeon", "enabled": True}]}}, as_user=ALICE
    )
    assert bad.codes == ["BAD_USER_INPUT"]
    bad = await api.run(PREFS, {"input": {"webhookUrl": "ftp://x"}}, as_user=ALICE)
    assert bad.codes == ["BAD_USER_INPUT"]


PUBLISH = """mutation($type: String!, $locale: String!, $title: String!, $body: String!) {
  publishTemplate(eventType: $type, locale: $locale, title: $title, body: $body) {
    id eventType locale version title
  }
}"""


async def test_templates_are_versioned_and_admin_only(api: NotificationsApi) -> None:
    values = {"type": "task.assigned", "locale": "en", "title": "New: {{ title }}", "body": "b"}
    assert (await api.run(PUBLISH, values, as_user=ALICE)).codes == ["FORBIDDEN"]
    published = await api.ok(PUBLISH, values, as_user=ADMIN, admin=True)
    assert published["publishTemplate"]["version"] == 2
    versions = await api.ok(
        '{ templates(eventType: "task.assigned", locale: "en") { version title } }',
        as_user=ADMIN,
        admin=True,
    )
    assert versions["templates"] == [
        {"version": 1, "title": "Task assigned: {{ title }}"},
        {"version": 2, "title": "New: {{ title }}"},
    ]
    await api.deliver(task_assigned(ALICE, "v2"))
    page = await api.ok(LIST, {"unread": False}, as_user=ALICE)
    assert page["notifications"]["edges"][0]["node"]["title"] == "New: v2"

    broken = await api.run(PUBLISH, {**values, "title": "{% if %}"}, as_user=ADMIN, admin=True)
    assert broken.codes == ["BAD_USER_INPUT"]
    assert (await api.run("{ templates { id } }", as_user=ALICE)).codes == ["FORBIDDEN"]


async def test_concurrent_publishes_each_get_their_own_version(api: NotificationsApi) -> None:
    values = {"type": "task.assigned", "locale": "en", "title": "T {{ title }}"}
    results = await asyncio.gather(
        *(
            api.run(PUBLISH, {**values, "body": f"body {i}"}, as_user=ADMIN, admin=True)
            for i in range(6)
        )
    )
    assert [r.errors for r in results] == [[]] * 6
    published = {r.data["publishTemplate"]["version"] for r in results}
    assert published == {2, 3, 4, 5, 6, 7}
    versions = await api.ok(
        '{ templates(eventType: "task.assigned", locale: "en") { version body } }',
        as_user=ADMIN,
        admin=True,
    )
    # The seed's version 1 is untouched; each publish is one version of its own.
    assert versions["templates"][0] == {
        "version": 1,
        "body": SEED_TEMPLATES[("task.assigned", "en")][1],
    }
    assert sorted(t["body"] for t in versions["templates"][1:]) == [f"body {i}" for i in range(6)]


async def test_templates_render_in_a_sandbox(api: NotificationsApi) -> None:
    values = {
        "type": "task.assigned",
        "locale": "en",
        "title": "{{ title.__class__.__mro__ }}",
        "body": "{{ ''.__class__.__subclasses__() }}",
    }
    await api.ok(PUBLISH, values, as_user=ADMIN, admin=True)
    await api.deliver(task_assigned(ALICE, "x"))
    page = await api.ok(LIST, {"unread": False}, as_user=ALICE)
    node = page["notifications"]["edges"][0]["node"]
    # Refused: neither renders (each falls back to its source), nothing of Python leaks.
    assert node["title"] == values["title"] and node["body"] == values["body"]
    assert "<class" not in node["title"] + node["body"]

    # Nor may a template change the values it is given (the immutable sandbox).
    mutating = {**values, "title": "{{ recipient.update({'name': 'x'}) }}{{ recipient.name }}"}
    await api.ok(PUBLISH, mutating, as_user=ADMIN, admin=True)
    await api.deliver(task_assigned(ALICE, "y"))
    page = await api.ok(LIST, {"unread": False}, as_user=ALICE)
    assert page["notifications"]["edges"][0]["node"]["title"] == mutating["title"]


async def test_admin_test_and_bulk_sends(api: NotificationsApi) -> None:
    test = await api.ok(
        'mutation { sendTestNotification(title: "Hi") { title type recipient { id } } }',
        as_user=ADMIN,
        admin=True,
    )
    assert test["sendTestNotification"] == {
        "title": "Hi",
        "type": "admin.test",
        "recipient": {"id": ADMIN},
    }
    bulk = """mutation($ids: [ID!]!) {
      sendBulkNotification(userIds: $ids, title: "Hello {{ who }}", body: "b", data: {who: "all"})
    }"""
    assert (await api.run(bulk, {"ids": [ALICE]}, as_user=ALICE)).codes == ["FORBIDDEN"]
    sent = await api.ok(bulk, {"ids": [ALICE, BOB, ALICE]}, as_user=ADMIN, admin=True)
    assert sent == {"sendBulkNotification": 2}
    page = await api.ok(LIST, {"unread": False}, as_user=BOB)
    assert page["notifications"]["edges"][0]["node"]["title"] == "Hello all"
    empty = await api.run(bulk, {"ids": []}, as_user=ADMIN, admin=True)
    assert empty.codes == ["BAD_USER_INPUT"]


SUBSCRIBE = "subscription { notificationAdded { title recipient { id } } }"


async def test_notification_added_reaches_only_its_recipient(api: NotificationsApi) -> None:
    ws_url = api.base_url.replace("http://", "ws://") + "/graphql"
    init = {"type": "connection_init", "payload": {"authorization": f"Bearer {api.token(ALICE)}"}}
    async with websockets.connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps(init))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
        # The subscription registers asynchronously: deliver until the first message arrives,
        # each time one for Bob first (which Alice must never see).
        for n in range(50):
            await api.deliver(task_assigned(BOB, f"bob-{n}"))
            await api.deliver(task_assigned(ALICE, f"alice-{n}"))
            try:
                message = json.loads(await asyncio.wait_for(ws.recv(), 0.3))
                break
            except TimeoutError:
                continue
        else:
            pytest.fail("no notification within 50 events")
        assert message["type"] == "next"
        added = message["payload"]["data"]["notificationAdded"]
        assert added["recipient"] == {"id": ALICE}
        assert added["title"].startswith("Task assigned: alice-")


async def test_notification_added_needs_a_token(api: NotificationsApi) -> None:
    ws_url = api.base_url.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
        message = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert message["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
