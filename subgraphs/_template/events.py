"""The events this subgraph emits and their payloads (plain JSON values)."""

from __future__ import annotations

from typing import Any

from subgraphs._template.models import Thing

THING_CREATED = "thing.created"


def thing_payload(thing: Thing) -> dict[str, Any]:
    return {"id": thing.id, "name": thing.name, "owner_id": thing.owner_id}
