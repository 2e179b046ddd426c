"""Demo data for `mosaic seed`: none (media come from uploads; see README "Media")."""

from __future__ import annotations

from db import Database
from subgraphs.common.settings import Settings


async def seed(db: Database, settings: Settings) -> int:
    return 0
