"""Per-request DataLoaders: one SELECT ... WHERE id IN (...) per batch."""

from __future__ import annotations

from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from subgraphs._template.models import Thing
from subgraphs.common.app import Runtime
from subgraphs.common.loaders import rows_by_key


@dataclass(frozen=True)
class Loaders:
    thing_by_id: DataLoader[str, Thing | None]


def create_loaders(runtime: Runtime) -> Loaders:
    return Loaders(thing_by_id=rows_by_key(runtime.db.sessions, Thing))
