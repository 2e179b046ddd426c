"""The recipients' copy from `user.*` events (SQLite and PostgreSQL): each event carries the
whole profile or the whole preferences, and the newest one wins whatever order two workers
apply them in."""

from __future__ import annotations

import asyncio
from typing import Any

from db import Database
from subgraphs.common.events import Event
from subgraphs.notifications.models import Recipient
from subgraphs.notifications.worker import handle


def user_event(type: str, user_id: str, **payload: Any) -> Event:
    return Event.new(type, {"user_id": user_id, **payload}, user_id)


async def copy_of(db: Database, user_id: str) -> Recipient:
    async with db.sessions() as session:
        row = await session.get(Recipient, user_id)
    assert row is not None
    return row


async def test_an_older_event_applied_late_does_not_overwrite_a_newer_one(
    notifications_db: Database,
) -> None:
    db = notifications_db
    await handle(db, None, user_event("user.registered", "u1", email="a@example.com", name="A"))
    older = user_event("user.updated", "u1", email="b@example.com", name="B", fields=["email"])
    newer = user_event("user.updated", "u1", email="c@example.com", name="C", fields=["email"])
    off = {"channels": {"email": False}, "opt_outs": ["x.y"]}
    old_prefs = user_event("user.preferences_updated", "u1", preferences=off)
    on = {"channels": {"email": True}, "opt_outs": []}
    new_prefs = user_event("user.preferences_updated", "u1", preferences=on)
    assert older.occurred_at < newer.occurred_at and old_prefs.occurred_at < new_prefs.occurred_at
    for event in (newer, new_prefs, older, old_prefs):  # the older ones arrive last
        await handle(db, None, event)
    row = await copy_of(db, "u1")
    assert (row.email, row.name) == ("c@example.com", "C")
    assert row.channels["email"] is True and row.opt_outs == []
    # A preferences event does not touch the profile, nor the other way round.
    assert row.profile_at == newer.occurred_at and row.preferences_at == new_prefs.occurred_at


async def test_two_workers_applying_two_updates_at_once_keep_the_newer(
    notifications_db: Database,
) -> None:
    db = notifications_db
    for n in range(10):
        user = f"racer{n}"
        await handle(db, None, user_event("user.registered", user, email=f"{user}@a.example"))
        older = user_event("user.updated", user, email=f"{user}@old.example", fields=["email"])
        newer = user_event("user.updated", user, email=f"{user}@new.example", fields=["email"])
        await asyncio.gather(handle(db, None, newer), handle(db, None, older))
        assert (await copy_of(db, user)).email == f"{user}@new.example"
