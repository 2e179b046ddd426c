"""Demo data for `mosaic seed`: two professionals with a week of slots, and bookings of Alice
and Bob in every state (a completed and a no-show session in the past for the statistics).

Idempotent: nothing is written when Priya (the demo professional) has a profile already. The
past sessions go through the same service calls, with the unit of work's clock set back. The
events stay in the outbox; the relay publishes them when the subgraph starts.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from db import Database
from subgraphs.bookings.domain import (
    CANCEL,
    COMPLETE,
    CONFIRM,
    NO_SHOW,
    Money,
    Period,
    ProfessionalInput,
    utcnow,
)
from subgraphs.bookings.models import Slot
from subgraphs.bookings.service import bookings, professionals, slots
from subgraphs.bookings.service.access import professional_of_user
from subgraphs.common.auth import Caller
from subgraphs.common.demo import DEMO_USER_IDS, DEMO_USERS
from subgraphs.common.settings import Settings
from subgraphs.common.unit_of_work import unit_of_work

# Typed as the units of work of the service take them (a caller or None).
CALLERS: dict[str, Caller | None] = {u.key: Caller(u.id, frozenset(u.roles)) for u in DEMO_USERS}
PROFILES = {
    "pro": ProfessionalInput(
        display_name="Dr. Priya Pro",
        specialization="Psychotherapy",
        hourly_rate=Money(12000, "USD"),
        time_zone="Europe/Berlin",
        bio="Cognitive behavioural therapy for stress, sleep and anxiety. Sessions in English.",
    ),
    "bob": ProfessionalInput(
        display_name="Bob Stone",
        specialization="Nutrition",
        hourly_rate=Money(8000, "USD"),
        time_zone="America/New_York",
        bio="Registered dietitian: meal plans, sports nutrition and diabetes care.",
    ),
}
HOURS = {"pro": (9, 10, 11, 14, 15), "bob": (13, 16)}  # UTC session starts, 50 minutes each


def _week(start: datetime, hours: tuple[int, ...], days: int = 7) -> list[Period]:
    return [
        Period(at, at + timedelta(minutes=50))
        for day in range(1, days + 1)
        for hour in hours
        for at in [datetime.combine(start.date() + timedelta(days=day), time(hour), start.tzinfo)]
    ]


async def seed(db: Database, settings: Settings) -> int:
    """Create the demo data unless it exists; returns how many rows were created."""
    async with db.sessions() as session:
        if await professional_of_user(session, DEMO_USER_IDS["pro"]) is not None:
            return 0
    now = utcnow()
    offered: dict[str, list[Slot]] = {}
    for key, profile in PROFILES.items():
        async with unit_of_work(db, CALLERS[key], None) as uow:
            await professionals.register_professional(uow, profile)
        async with unit_of_work(db, CALLERS[key], None) as uow:
            offered[key] = await slots.create_slots(uow, _week(now, HOURS[key]))
    created = len(PROFILES) + sum(len(s) for s in offered.values())

    async def book(client: str, slot: Slot, notes: str, then: datetime | None = None) -> str:
        clock = utcnow if then is None else (lambda: then)
        async with unit_of_work(db, CALLERS[client], None, clock=clock) as uow:
            return (await bookings.book_slot(uow, slot.id, notes)).id

    async def move(who: str, booking_id: str, *steps: Any) -> None:
        for step in steps:
            async with unit_of_work(db, CALLERS[who], None) as uow:
                await bookings.transition(uow, booking_id, step, reason="Schedule clash")

    pro = offered["pro"]
    await move("pro", await book("alice", pro[0], "First session: trouble sleeping."), CONFIRM)
    await book("bob", pro[1], "Work stress; evenings are hard.")
    await move("alice", await book("alice", pro[2], "Follow-up."), CANCEL)
    await move("bob", await book("alice", offered["bob"][0], "Meal plan please."), CONFIRM)
    created += 4

    # Two sessions last week: offered and booked with the clock set back, then held.
    past = now - timedelta(days=8)
    async with unit_of_work(db, CALLERS["pro"], None, clock=lambda: past) as uow:
        earlier = await slots.create_slots(uow, _week(past, (8,), days=2))
    done = await book("alice", earlier[0], "Intake session.", then=past)
    missed = await book("bob", earlier[1], "", then=past)
    await move("pro", done, CONFIRM, COMPLETE)
    await move("pro", missed, CONFIRM, NO_SHOW)
    return created + len(earlier) + 2
