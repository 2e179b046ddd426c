"""Demo users for `mosaic seed` (idempotent: existing emails are left alone)."""

from __future__ import annotations

from sqlalchemy import select

from db import Database
from subgraphs.common.demo import DEMO_USERS
from subgraphs.common.settings import Settings
from subgraphs.users.models import User
from subgraphs.users.passwords import hash_password


async def seed(db: Database, settings: Settings) -> int:
    """Create the demo users that are missing; returns how many were created."""
    async with db.sessions() as session:
        existing = set(
            (
                await session.scalars(
                    select(User.email).where(User.email.in_([u.email for u in DEMO_USERS]))
                )
            ).all()
        )
    missing = [u for u in DEMO_USERS if u.email not in existing]
    password_hash = await hash_password(settings.seed_password) if missing else ""
    async with db.transaction() as session:
        for demo in missing:
            session.add(
                User(
                    id=demo.id,
                    email=demo.email,
                    name=demo.name,
                    password_hash=password_hash,
                    roles=sorted(demo.roles),
                    preferences={},
                )
            )
    return len(missing)
