"""Demo data for `mosaic seed`: version 1 of every seed template (en, de), the demo users'
recipient copy (the worker keeps it current from user.* events afterwards) and a welcome
notification for Alice. Idempotent: nothing is written when the templates exist already."""

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
        if await uow.session.scalar(select(Template.id).limit(1)) is not None:
            return 0
        for (event_type, locale), (title, body) in SEED_TEMPLATES.items():
            uow.session.add(
                Template(event_type=event_type, locale=locale, version=1, title=title, body=body)
            )
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
