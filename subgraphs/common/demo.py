"""Identities of the demo data (`mosaic seed`), shared so every subgraph's seed can refer to
the same users. Ids are fixed (UUIDv5 of the email), so seeds are idempotent and stable."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

_NAMESPACE = uuid.UUID("6f1d1c1e-8f54-4d2b-9a77-3b0a5e8c2d10")


@dataclass(frozen=True)
class DemoUser:
    key: str
    email: str
    name: str
    roles: tuple[str, ...]

    @property
    def id(self) -> str:
        return str(uuid.uuid5(_NAMESPACE, self.email))


DEMO_USERS = (
    DemoUser("admin", "admin@mosaic.dev", "Ada Admin", ("ADMIN", "USER")),
    DemoUser("alice", "alice@mosaic.dev", "Alice Doe", ("USER",)),
    DemoUser("bob", "bob@mosaic.dev", "Bob Stone", ("USER",)),
    DemoUser("pro", "pro@mosaic.dev", "Priya Pro", ("PROFESSIONAL", "USER")),
)
DEMO_USER_IDS = {user.key: user.id for user in DEMO_USERS}
