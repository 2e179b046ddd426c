"""`mosaic search reindex`: refuses with one line (no traceback) when the owners cannot be read,
and leaves the index as it was."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.utils.servers import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_reindex_without_a_router_says_so_in_one_line(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/graphql"
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(ROOT),
        "MOSAIC_DATA_DIR": str(tmp_path),
        "MOSAIC_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/{{subgraph}}.db",
    }
    done = subprocess.run(
        [sys.executable, "-m", "mosaic", "search", "reindex", "product", "--url", url],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env,
    )  # fmt: skip
    assert done.returncode == 1
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"mosaic search reindex: cannot reach {url}: "), line
