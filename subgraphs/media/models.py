"""SQLAlchemy models of the media subgraph (its own database)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from db import IdMixin, TimestampMixin, new_metadata
from subgraphs.common.outbox import event_tables


class Base(DeclarativeBase):
    metadata = new_metadata()


event_tables(Base.metadata)


class Media(IdMixin, TimestampMixin, Base):
    """One uploaded image. The stored original is re-encoded (orientation applied, metadata
    stripped), so `size` is the size of what is stored and served, not of what was sent;
    its variants are made afterwards by the media worker (processing.py)."""

    __tablename__ = "media"

    owner_id: Mapped[str] = mapped_column(String(36), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(50))
    format: Mapped[str] = mapped_column(String(10))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    alt: Mapped[str | None] = mapped_column(String(500), default=None)
    # PROCESSING (stored, variants being made by the media worker), READY or FAILED.
    status: Mapped[str] = mapped_column(String(12), default="PROCESSING")
    etag: Mapped[str] = mapped_column(String(64))
    # Why processing failed (FAILED only), in words for the owner.
    failure_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    # How often a worker started processing it (a worker that dies mid-way starts it again).
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Variant(IdMixin, Base):
    """A derived file of a media: `thumb`, `medium`, or a `resizeMedia` size."""

    __tablename__ = "media_variants"
    __table_args__ = (UniqueConstraint("media_id", "name"),)

    media_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("media.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(40))
    format: Mapped[str] = mapped_column(String(10))
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    etag: Mapped[str] = mapped_column(String(64))


class Avatar(Base):
    """A user's avatar: one media of theirs."""

    __tablename__ = "avatars"

    user_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    media_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("media.id", ondelete="CASCADE"), index=True
    )
