"""The demo data: idempotent, through the same rules as every client, and on both backends."""

from __future__ import annotations

from sqlalchemy import func, select

from subgraphs.bookings.models import Booking, Professional, Slot
from subgraphs.bookings.seed import seed
from subgraphs.common.demo import DEMO_USER_IDS
from subgraphs.common.settings import Settings
from tests.subgraphs.bookings.conftest import BookingsDb


async def test_seed_is_idempotent_and_covers_every_status(
    bookings_db: BookingsDb, settings: Settings
) -> None:
    created = await seed(bookings_db.db, settings)
    assert await seed(bookings_db.db, settings) == 0
    async with bookings_db.db.sessions() as session:
        owners = set((await session.scalars(select(Professional.user_id))).all())
        slots = await session.scalar(select(func.count()).select_from(Slot))
        rows = await session.execute(select(Booking.status, func.count()).group_by(Booking.status))
        statuses = {status: count for status, count in rows}
    assert owners == {DEMO_USER_IDS["pro"], DEMO_USER_IDS["bob"]}
    assert statuses == {"PENDING": 1, "CONFIRMED": 2, "CANCELLED": 1, "COMPLETED": 1, "NO_SHOW": 1}
    assert created == 2 + (slots or 0) + 6
