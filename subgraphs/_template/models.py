"""SQLAlchemy 2.0 models owned by this subgraph (its own database)."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from db import IdMixin, TimestampMixin, new_metadata
from subgraphs.common.outbox import event_tables


class Base(DeclarativeBase):
    metadata = new_metadata()


# The outbox and consumed-events tables every subgraph has (subgraphs/common/outbox.py).
event_tables(Base.metadata)


class Thing(IdMixin, TimestampMixin, Base):
    __tablename__ = "things"

    name: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[str] = mapped_column(String(36), index=True)
