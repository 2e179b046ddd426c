"""Which domain events become notifications, for whom, and about what.

Each rule reads only the event's payload (the publishers put there what consumers need), so
the worker never calls back to the subgraph that published it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from subgraphs.common.events import Event

USER_EVENTS = ("user.registered", "user.updated", "user.preferences_updated")


@dataclass(frozen=True)
class Subject:
    type: str  # the entity's GraphQL type: Task, Order, Booking, Media
    id: str


@dataclass(frozen=True)
class Rule:
    recipients: Callable[[Mapping[str, Any]], list[str | None]]
    subject: Callable[[Mapping[str, Any]], Subject | None]
    notify_actor: bool = False  # users are not told about what they did themselves


def _of(type: str, key: str) -> Callable[[Mapping[str, Any]], Subject | None]:
    return lambda p: Subject(type, str(p[key])) if p.get(key) else None


def _keys(*keys: str) -> Callable[[Mapping[str, Any]], list[str | None]]:
    return lambda p: [p.get(k) for k in keys]


_NONE: Callable[[Mapping[str, Any]], Subject | None] = lambda _: None  # noqa: E731

RULES: dict[str, Rule] = {
    "user.registered": Rule(_keys("user_id"), _NONE, notify_actor=True),
    "task.assigned": Rule(_keys("assignee_id"), _of("Task", "task_id")),
    "task.completed": Rule(_keys("creator_id", "assignee_id"), _of("Task", "task_id")),
    "order.status_changed": Rule(_keys("buyerId"), _of("Order", "id")),
    "booking.requested": Rule(_keys("professionalUserId"), _of("Booking", "id")),
    "booking.confirmed": Rule(_keys("clientId", "professionalUserId"), _of("Booking", "id")),
    "booking.cancelled": Rule(_keys("clientId", "professionalUserId"), _of("Booking", "id")),
    # The upload finished processing (or could not be processed): the owner is told even
    # though they uploaded it.
    "media.processed": Rule(_keys("owner_id"), _of("Media", "id"), notify_actor=True),
    "media.failed": Rule(_keys("owner_id"), _of("Media", "id"), notify_actor=True),
}


def recipients_of(event: Event) -> list[str]:
    """Who is told about `event` (no duplicates, never the actor unless the rule says so)."""
    rule = RULES.get(event.type)
    if rule is None:
        return []
    found: list[str] = []
    for user_id in rule.recipients(event.payload):
        if not user_id or user_id in found:
            continue
        if user_id == event.actor_id and not rule.notify_actor:
            continue
        found.append(str(user_id))
    return found


def subject_of(event: Event) -> Subject | None:
    rule = RULES.get(event.type)
    return None if rule is None else rule.subject(event.payload)
