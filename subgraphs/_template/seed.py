"""Demo data for `mosaic seed` (dev only): idempotent, returns how many rows it created. Use
the ids of subgraphs/common/demo.py so seeds of different subgraphs agree."""

from __future__ import annotations

from db import Database
from subgraphs.common.settings import Settings


async def seed(db: Database, settings: Settings) -> int:
    return 0
