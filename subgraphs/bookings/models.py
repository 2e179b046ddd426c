"""SQLAlchemy 2.0 models owned by the bookings subgraph (its own database).

Times are stored in UTC (SQLite keeps no zone: every value written is converted to UTC first,
see `db.base.as_utc`). Money is integer minor units plus an ISO 4217 currency.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from db import IdMixin, TimestampMixin, new_metadata
from db.base import utcnow
from subgraphs.common.outbox import event_tables

__all__ = ["Base", "Booking", "BookingStatusChange", "Professional", "Slot", "utcnow"]


class Base(DeclarativeBase):
    metadata = new_metadata()


event_tables(Base.metadata)  # the outbox its units of work write events to


class Professional(IdMixin, TimestampMixin, Base):
    """A user's professional profile (one per user)."""

    __tablename__ = "professionals"
    __table_args__ = (CheckConstraint("hourly_rate_amount > 0", name="rate_positive"),)

    user_id: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), index=True)
    specialization: Mapped[str] = mapped_column(String(100), index=True)
    bio: Mapped[str] = mapped_column(Text, default="")
    hourly_rate_amount: Mapped[int] = mapped_column(Integer)
    hourly_rate_currency: Mapped[str] = mapped_column(String(3))
    time_zone: Mapped[str] = mapped_column(String(64))


class Slot(IdMixin, TimestampMixin, Base):
    """A bookable period of a professional. OPEN, HELD by a PENDING booking, or BOOKED."""

    __tablename__ = "slots"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_slots_professional_id_starts_at", "professional_id", "starts_at"),
    )

    professional_id: Mapped[str] = mapped_column(ForeignKey("professionals.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), index=True)


# The last line of defence against double booking, under the slot lock of `book_slot`: a slot
# has at most one booking that is not CANCELLED (a cancelled booking frees its slot).
_ACTIVE = text("status <> 'CANCELLED'")


class Booking(IdMixin, TimestampMixin, Base):
    """A client's booking of a slot; the slot's period and price are kept as they were booked
    (a slot whose bookings were all cancelled may be deleted: `slot_id` becomes NULL)."""

    __tablename__ = "bookings"
    __table_args__ = (
        Index(
            "uq_bookings_active_slot",
            "slot_id",
            unique=True,
            sqlite_where=_ACTIVE,
            postgresql_where=_ACTIVE,
        ),
        Index("ix_bookings_client_id_starts_at", "client_id", "starts_at"),
        Index("ix_bookings_professional_id_starts_at", "professional_id", "starts_at"),
        CheckConstraint("price_amount >= 0", name="price_not_negative"),
    )

    slot_id: Mapped[str | None] = mapped_column(
        ForeignKey("slots.id", ondelete="SET NULL"), index=True
    )
    professional_id: Mapped[str] = mapped_column(ForeignKey("professionals.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), index=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    price_amount: Mapped[int] = mapped_column(Integer)
    price_currency: Mapped[str] = mapped_column(String(3))
    cancellation_reason: Mapped[str | None] = mapped_column(Text)


class BookingStatusChange(Base):
    __tablename__ = "booking_status_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)  # history order
    booking_id: Mapped[str] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    by_id: Mapped[str | None] = mapped_column(String(64))
