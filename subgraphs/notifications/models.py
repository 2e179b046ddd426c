"""SQLAlchemy models owned by the notifications subgraph (its own database).

`recipients` is this subgraph's copy of what it needs about users (name, email, locale,
channel preferences), kept current from `user.*` events so no event needs a call back to users.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from db import IdMixin, new_metadata
from db.base import UTCDateTime, utcnow
from subgraphs.common.outbox import event_tables

__all__ = ["Base", "Delivery", "Notification", "Recipient", "Template"]


class Base(DeclarativeBase):
    metadata = new_metadata()


event_tables(Base.metadata)  # the outbox (notification.created) and consumed-event ids


class Recipient(Base):
    __tablename__ = "recipients"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(320))
    locale: Mapped[str] = mapped_column(String(16), default="en")
    # {"email": bool, "in_app": bool, "webhook": bool}: the user's channel switches.
    channels: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Event types the user turned off entirely.
    opt_outs: Mapped[list[str]] = mapped_column(JSON, default=list)
    # {"task.assigned": {"email": false}}: per event type, per channel overrides.
    per_type: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    webhook_url: Mapped[str | None] = mapped_column(String(2000))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # When the users event the name and email (profile_at) or the channel switches and
    # opt-outs (preferences_at) came from happened: workers may apply two events of one user
    # in either order, and an older one must not overwrite a newer one.
    profile_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    preferences_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))


class Template(IdMixin, Base):
    """One version of the template of an event type in a locale; a new version is a new row
    (publishing never edits an old one); the highest version is the one in use."""

    __tablename__ = "templates"
    __table_args__ = (UniqueConstraint("event_type", "locale", "version"),)

    event_type: Mapped[str] = mapped_column(String(200), index=True)
    locale: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(64))


class Notification(IdMixin, Base):
    __tablename__ = "notifications"
    __table_args__ = (
        # One notification per (event, recipient): a redelivered event changes nothing.
        UniqueConstraint("event_id", "recipient_id"),
        Index("ix_notifications_recipient_id_id", "recipient_id", "id"),
    )

    recipient_id: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    subject_type: Mapped[str | None] = mapped_column(String(32))
    subject_id: Mapped[str | None] = mapped_column(String(64))
    event_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Delivery(IdMixin, Base):
    """One channel's delivery of a notification: QUEUED -> SENT, or RETRYING until the limit,
    then DEAD, with an entry in the bus's dead-letter stream that `mosaic notifications
    dead-letters` lists and replays (delivery.py)."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("notification_id", "channel"),
        Index("ix_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
    )

    notification_id: Mapped[str] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
