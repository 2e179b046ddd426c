"""Entity versions for event consumers: a number that grows with every change of one entity.

Consumers that keep a copy of an entity (the search index) apply an event only when its
`version` is not older than the copy's, so events delivered twice or out of order leave the
copy right. Entities with an optimistic-concurrency counter (tasks) send that counter; the
others send their `updated_at` in microseconds, which grows because every write of one entity
holds its row lock while it takes the time.
"""

from __future__ import annotations

from datetime import UTC, datetime

from db.base import as_utc


def version_from(updated_at: datetime) -> int:
    """`updated_at` as integer microseconds since the epoch (a naive time is UTC: SQLite)."""
    delta = as_utc(updated_at) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
