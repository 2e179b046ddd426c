"""Per-request DataLoaders of the users subgraph."""

from __future__ import annotations

from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from subgraphs.common.app import Runtime
from subgraphs.common.loaders import rows_by_key
from subgraphs.users.models import User


@dataclass(frozen=True)
class Loaders:
    user_by_id: DataLoader[str, User | None]


def create_loaders(runtime: Runtime) -> Loaders:
    return Loaders(user_by_id=rows_by_key(runtime.db.sessions, User))
