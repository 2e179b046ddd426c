"""`mosaic worker search` as `mosaic dev` runs it: its own process, fed by the dev event bus
(the SQLite log every dev process shares) from another process's publisher."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from db import migrations
from subgraphs.common.events import event_bus_from_settings
from subgraphs.common.settings import Settings
from subgraphs.search.backends import backend_from_settings
from subgraphs.search.backends.sql import MIGRATIONS
from subgraphs.search.documents import SearchQuery
from tests.subgraphs.search.test_indexing import product
from tests.utils.servers import free_port

ROOT = Path(__file__).resolve().parents[3]


async def test_the_worker_process_indexes_what_another_process_publishes(tmp_path: Path) -> None:
    env = {
        "MOSAIC_ENV": "dev",
        "MOSAIC_DATA_DIR": str(tmp_path),
        "MOSAIC_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/{{subgraph}}.db",
        "MOSAIC_EVENT_BACKEND": "sqlite",
        # No router answers here: the worker's fill-an-empty-index step keeps waiting for one
        # while it indexes events.
        "MOSAIC_DEV_BASE_PORT": str(free_port()),
    }
    settings = Settings(
        _env_file=None, **{k.removeprefix("MOSAIC_").lower(): v for k, v in env.items()}
    )  # type: ignore[arg-type]
    await migrations.upgrade(settings.database_url_for("search"), MIGRATIONS, "search")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mosaic", "worker", "search",
        cwd=tmp_path, env={"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), **env},
    )  # fmt: skip
    publisher = event_bus_from_settings(settings)
    backend = backend_from_settings(settings)
    try:
        await publisher.publish("product.created", product("p1", 1, "Walnut desk"))
        await publisher.publish("product.updated", product("p1", 2, "Oak desk"))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while True:
            found = await backend.search(SearchQuery(text="oak", viewer=None, facets=False))
            if [hit.id for hit in found.hits] == ["p1"]:
                break
            assert process.returncode is None, "the worker stopped"
            assert loop.time() < deadline, "the worker did not index the events"
            await asyncio.sleep(0.05)
        walnut = await backend.search(SearchQuery(text="walnut", viewer=None, facets=False))
        assert walnut.total == 0
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 60) == 0
        await publisher.close()
        await backend.close()
