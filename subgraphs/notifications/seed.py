"""Demo data for `mosaic seed`: version 1 of every seed template (en, de), the demo users'
recipient copy (the worker keeps it current from user.* events afterwards) and a welcome
notification for Alice. Idempotent: run again, it adds only the seed templates a database
lacks (an event type added to the seed later)."""

from __future__ import annotations

from sqlalchemy import select

from db import Database
from subgraphs.common.demo import DEMO_USERS
from subgraphs.common.settings import Settings
from subgraphs.common.unit_of_work import unit_of_work
from subgraphs.notifications.models import Recipient, Template
from subgraphs.notifications.seed_templates import SEED_TEMPLATES
from subgraphs.notifications.service import SYSTEM, Draft, store


async def seed(db: Database, settings: Settings) -> int:
    async with unit_of_work(db, SYSTEM) as uow:
        rows = await uow.session.execute(select(Template.event_type, Template.locale))
        existing = {(event_type, locale) for event_type, locale in rows}
        # A template added to the seed later (a new event type) reaches a seeded database too;
        # one an admin published already is left alone.
        missing = [key for key in SEED_TEMPLATES if key not in existing]
        for event_type, locale in missing:
            title, body = SEED_TEMPLATES[(event_type, locale)]
            uow.session.add(
                Template(event_type=event_type, locale=locale, version=1, title=title, body=body)
            )
        if existing:
            return len(missing)
        for user in DEMO_USERS:
            if await uow.session.get(Recipient, user.id) is None:
                uow.session.add(
                    Recipient(
                        user_id=user.id,
                        name=user.name,
                        email=user.email,
                        locale="de" if user.key == "bob" else "en",
                        channels={},
                        opt_outs=[],
                        per_type={},
                    )
                )
        await uow.session.flush()
        alice = next(u for u in DEMO_USERS if u.key == "alice")
        await store(uow, Draft(alice.id, "user.registered", {"name": alice.name}))
    return len(SEED_TEMPLATES) + len(DEMO_USERS) + 1
