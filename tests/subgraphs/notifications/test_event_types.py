"""Every event type the worker consumes becomes a notification for the right people, about the
right entity, rendered from its seed template in English and in German. The payloads come from
the publishers' own payload builders, so a key a template needs that a publisher stops sending
shows here (a template that fails to render falls back to its source, `{{ ... }}` and all)."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from subgraphs.bookings.models import Booking, Professional
from subgraphs.bookings.service.bookings import booking_payload
from subgraphs.catalog.models import Order
from subgraphs.catalog.service.orders import order_payload
from subgraphs.common.events import Event
from subgraphs.media.events import failed_payload, processed_payload
from subgraphs.media.models import Media
from subgraphs.notifications.events import RULES
from subgraphs.notifications.seed_templates import SEED_TEMPLATES
from subgraphs.tasks.domain import TaskPriority, TaskStatus
from subgraphs.tasks.events import task_payload
from subgraphs.tasks.models import Task
from subgraphs.users.models import User
from subgraphs.users.service import _profile
from tests.subgraphs.notifications.conftest import ALICE, BOB, NotificationsApi, add_recipient

LOCALES = ("en", "de")
ACTOR = "user-carol"  # acts in every event; never told about it herself
NOW = datetime(2026, 12, 6, 15, 0, tzinfo=UTC)

MINE = """{ notifications(first: 20) { edges { node {
  type title body recipient { id }
  subject { __typename ... on Task { id } ... on Order { id } ... on Booking { id }
            ... on Media { id } } } } } }"""


def _task(status: TaskStatus) -> dict[str, Any]:
    task = Task(id="task-1", project_id="project-1", title="Write the report", description="",
                status=status, priority=TaskPriority.HIGH, due_date=date(2026, 12, 24), tags=[],
                creator_id=BOB, assignee_id=ALICE, created_at=NOW, version=3)  # fmt: skip
    return task_payload(task)


def _order() -> dict[str, Any]:
    order = Order(id="order-1", number="20261206-ABCD1234", buyer_id=ALICE, status="SHIPPED",
                  total_amount=4200, currency="EUR")  # fmt: skip
    return {**order_payload(order), "from": "PROCESSING", "to": "SHIPPED"}


def _booking(status: str, **extra: Any) -> dict[str, Any]:
    professional = Professional(id="pro-1", user_id=BOB)
    booking = Booking(id="booking-1", slot_id="slot-1", professional_id="pro-1", client_id=ALICE,
                      status=status, starts_at=NOW + timedelta(days=2),
                      ends_at=NOW + timedelta(days=2, hours=1), price_amount=9000,
                      price_currency="EUR", updated_at=NOW)  # fmt: skip
    return {**booking_payload(booking, professional), **extra}


def _media(owner: str, reason: str | None = None) -> Media:
    return Media(id=f"media-{owner}", owner_id=owner, filename="cat.png", content_type="image/png",
                 format="PNG", size=10, width=2, height=2, status="READY", etag="e",
                 failure_reason=reason)  # fmt: skip


# event type -> (payload as its publisher builds it, who is told, the subject's type and id)
CASES: dict[str, tuple[dict[str, Any], set[str], tuple[str, str] | None]] = {
    "user.registered": (
        _profile(User(id=ALICE, email="alice@example.com", name="Alice")),
        {ALICE},
        None,
    ),
    "task.assigned": (_task(TaskStatus.TODO), {ALICE}, ("Task", "task-1")),
    "task.completed": (_task(TaskStatus.DONE), {ALICE, BOB}, ("Task", "task-1")),
    "order.status_changed": (_order(), {ALICE}, ("Order", "order-1")),
    "booking.requested": (_booking("PENDING", notes=""), {BOB}, ("Booking", "booking-1")),
    "booking.confirmed": (
        _booking("CONFIRMED", **{"from": "PENDING", "by": "PROFESSIONAL"}),
        {ALICE, BOB},
        ("Booking", "booking-1"),
    ),
    "booking.cancelled": (
        _booking("CANCELLED", **{"from": "CONFIRMED", "by": "CLIENT", "reason": "ill"}),
        {ALICE, BOB},
        ("Booking", "booking-1"),
    ),
    "media.processed": (processed_payload(_media(ALICE), []), {ALICE}, ("Media", f"media-{ALICE}")),
    "media.failed": (
        failed_payload(_media(ALICE, "not an image")),
        {ALICE},
        ("Media", f"media-{ALICE}"),
    ),
}


def test_every_consumed_event_type_has_a_case_and_seed_templates_in_two_locales() -> None:
    assert set(CASES) == set(RULES)
    for event_type in RULES:
        for locale in LOCALES:
            assert (event_type, locale) in SEED_TEMPLATES, (event_type, locale)


@pytest.mark.parametrize("event_type", sorted(CASES))
@pytest.mark.parametrize("locale", LOCALES)
async def test_each_event_type_notifies_its_people_rendered_in_their_locale(
    api: NotificationsApi, event_type: str, locale: str
) -> None:
    payload, told, subject = CASES[event_type]
    for user in (ALICE, BOB, ACTOR):
        await add_recipient(api.db, user, locale=locale)
    # user.registered is the new user's own action; everything else is Carol's.
    actor = ALICE if event_type == "user.registered" else ACTOR
    assert await api.deliver(Event.new(event_type, payload, actor)) == len(told)

    title_source, body_source = SEED_TEMPLATES[(event_type, locale)]
    for user in (ALICE, BOB, ACTOR):
        nodes = [e["node"] for e in (await api.ok(MINE, as_user=user))["notifications"]["edges"]]
        if user not in told:
            assert nodes == [], (user, nodes)
            continue
        (node,) = nodes
        assert node["type"] == event_type and node["recipient"] == {"id": user}
        expected = None if subject is None else {"__typename": subject[0], "id": subject[1]}
        assert node["subject"] == expected
        # Rendered, not the source it falls back to when a value is missing.
        for text, source in ((node["title"], title_source), (node["body"], body_source)):
            assert "{{" not in text and "{%" not in text, (event_type, locale, text)
            if "{{" in source:
                assert text != source.strip()


async def test_the_worker_logs_each_event_with_its_correlation_id(
    api: NotificationsApi, caplog: pytest.LogCaptureFixture
) -> None:
    await add_recipient(api.db, ALICE)
    payload = _task(TaskStatus.TODO)
    event = Event.new("task.assigned", payload, ACTOR, correlation_id="req-4711")
    with caplog.at_level(logging.INFO, logger="mosaic.notifications.worker"):
        assert await api.deliver(event) == 1
    lines = [r.getMessage() for r in caplog.records if r.name == "mosaic.notifications.worker"]
    assert any(event.id in line and "correlation_id=req-4711" in line for line in lines), lines


CHANNELS = "{ notifications(first: 20) { edges { node { type deliveries { channel } } } } }"


async def test_opt_outs_and_channel_preferences_apply_per_event_type(
    api: NotificationsApi,
) -> None:
    # Email off for everything but task.completed; booking.confirmed opted out entirely (as
    # user.preferences_updated sets it, from the users subgraph).
    await add_recipient(api.db, ALICE, email="alice@example.com", channels={"email": False},
                        per_type={"task.completed": {"email": True}},
                        opt_outs=["booking.confirmed"])  # fmt: skip
    for event_type in ("task.assigned", "task.completed", "booking.confirmed"):
        payload, told, _ = CASES[event_type]
        # Bob (no preferences: the defaults) is told as before; Alice not about her opt-out.
        expected = len(told) - (event_type == "booking.confirmed")
        assert await api.deliver(Event.new(event_type, payload, ACTOR)) == expected, event_type
    nodes = [e["node"] for e in (await api.ok(CHANNELS, as_user=ALICE))["notifications"]["edges"]]
    channels = {n["type"]: sorted(d["channel"] for d in n["deliveries"]) for n in nodes}
    assert channels == {"task.assigned": ["in_app"], "task.completed": ["email", "in_app"]}
