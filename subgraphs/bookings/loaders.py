"""Per-request DataLoaders of bookings: one SELECT ... WHERE key IN (...) per batch."""

from __future__ import annotations

from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from subgraphs.bookings.models import Booking, BookingStatusChange, Professional, Slot
from subgraphs.common.app import Runtime
from subgraphs.common.loaders import rows_by_key, rows_grouped_by


@dataclass(frozen=True)
class Loaders:
    professional_by_id: DataLoader[str, Professional | None]
    professional_by_user: DataLoader[str, Professional | None]
    slot_by_id: DataLoader[str, Slot | None]
    booking_by_id: DataLoader[str, Booking | None]
    history_by_booking: DataLoader[str, list[BookingStatusChange]]


def create_loaders(runtime: Runtime) -> Loaders:
    sessions = runtime.db.sessions
    return Loaders(
        professional_by_id=rows_by_key(sessions, Professional),
        professional_by_user=rows_by_key(sessions, Professional, Professional.user_id),
        slot_by_id=rows_by_key(sessions, Slot),
        booking_by_id=rows_by_key(sessions, Booking),
        history_by_booking=rows_grouped_by(
            sessions, BookingStatusChange, BookingStatusChange.booking_id, BookingStatusChange.id
        ),
    )
