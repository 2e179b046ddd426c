"""The event envelope every bus carries: `{id, type, occurred_at, actor_id, payload}` plus
the aggregate it is about (id and version, so consumers can order and skip stale events) and
the correlation id of the request that caused it."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from db import new_id


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    occurred_at: datetime
    actor_id: str | None
    payload: Mapping[str, Any]
    aggregate_id: str | None = None
    aggregate_version: int | None = None
    correlation_id: str | None = None

    @classmethod
    def new(
        cls,
        type: str,
        payload: Mapping[str, Any],
        actor_id: str | None = None,
        *,
        aggregate_id: str | None = None,
        aggregate_version: int | None = None,
        correlation_id: str | None = None,
    ) -> Event:
        return cls(
            new_id(),
            type,
            datetime.now(UTC),
            actor_id,
            dict(payload),
            aggregate_id,
            aggregate_version,
            correlation_id,
        )

    def to_json(self) -> bytes:
        return orjson.dumps(
            {
                "id": self.id,
                "type": self.type,
                "occurred_at": self.occurred_at.isoformat(),
                "actor_id": self.actor_id,
                "payload": self.payload,
                "aggregate_id": self.aggregate_id,
                "aggregate_version": self.aggregate_version,
                "correlation_id": self.correlation_id,
            }
        )

    @classmethod
    def from_json(cls, data: bytes | str) -> Event:
        raw = orjson.loads(data)
        return cls(
            id=raw["id"],
            type=raw["type"],
            occurred_at=datetime.fromisoformat(raw["occurred_at"]),
            actor_id=raw.get("actor_id"),
            payload=raw.get("payload") or {},
            aggregate_id=raw.get("aggregate_id"),
            aggregate_version=raw.get("aggregate_version"),
            correlation_id=raw.get("correlation_id"),
        )


def matches(event: Event, types: Collection[str] | None) -> bool:
    return types is None or event.type in types
