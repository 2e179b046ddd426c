"""Database plumbing shared by every subgraph: engines, sessions, base models, migrations.

`db/` imports neither `subgraphs/` nor `router/`: a subgraph hands it a URL, its metadata and
the path of its migrations folder.
"""

from db.base import NAMING_CONVENTION, IdMixin, TimestampMixin, new_metadata
from db.engine import Database, create_engine, database_url_for, session_factory
from db.ids import new_id

__all__ = [
    "NAMING_CONVENTION",
    "Database",
    "IdMixin",
    "TimestampMixin",
    "create_engine",
    "database_url_for",
    "new_id",
    "new_metadata",
    "session_factory",
]
