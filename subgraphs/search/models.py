"""The search subgraph's index tables are created by its first migration with each database's
own full-text machinery (FTS5 on SQLite, tsvector and pg_trgm on PostgreSQL), which SQLAlchemy
models cannot express. The metadata holds the outbox and consumed-events tables every
subgraph database has (subgraphs/common/outbox.py)."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from db import new_metadata
from subgraphs.common.outbox import event_tables


class Base(DeclarativeBase):
    metadata = new_metadata()


event_tables(Base.metadata)
