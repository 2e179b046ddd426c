"""Tables owned by the users subgraph."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from db import IdMixin, TimestampMixin, new_metadata
from subgraphs.common.outbox import event_tables


class Base(DeclarativeBase):
    metadata = new_metadata()


# The outbox and consumed-events tables every subgraph has (subgraphs/common/outbox.py).
event_tables(Base.metadata)


class User(IdMixin, TimestampMixin, Base):
    __tablename__ = "users"

    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower-cased
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    roles: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["USER"])
    bio: Mapped[str | None] = mapped_column(String(2000), default=None)
    avatar_url: Mapped[str | None] = mapped_column(String(2000), default=None)
    # {"channels": {"email": bool, "push": bool, "in_app": bool}, "opt_outs": [event types]}
    preferences: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class RefreshToken(IdMixin, Base):
    """One refresh token; rotation creates the next one in the same family.

    Only a SHA-256 hash of the token is stored. A token presented after it was rotated
    (`used_at` set) is a replay: the whole family is revoked.
    """

    __tablename__ = "refresh_tokens"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    family_id: Mapped[str] = mapped_column(String(36), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
