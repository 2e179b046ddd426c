"""Small helpers shared by the tasks tests."""

from __future__ import annotations

from db import migrations
from subgraphs.tasks import MIGRATIONS, NAME


async def migrate(url: str) -> None:
    """Bring an empty database to the tasks subgraph's head revision."""
    await migrations.upgrade(url, MIGRATIONS, NAME)
