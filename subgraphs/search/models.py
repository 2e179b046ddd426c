"""The search subgraph's tables are the index itself, created by its migration with each
database's own full-text machinery (FTS5 on SQLite, tsvector and pg_trgm on PostgreSQL), which
SQLAlchemy models cannot express; `Base` exists for Alembic's environment."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()
