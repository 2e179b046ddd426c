"""Workers: `subgraphs/<name>/worker.py` is discovered, and the supervisor starts workers (no
port, no /health) with the subgraphs, lists them and stops them with everything else."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from mosaic.dev import ProcessSpec, Supervisor, worker_spec
from mosaic.subgraphs import discover


def _package(root: Path, name: str, *files: str) -> None:
    (root / name).mkdir()
    for file in ("__init__.py", "app.py", *files):
        (root / name / file).write_text("")


def test_workers_are_discovered_and_the_template_is_not_a_subgraph(tmp_path: Path) -> None:
    _package(tmp_path, "alpha", "worker.py")
    _package(tmp_path, "beta")
    _package(tmp_path, "_template", "worker.py")
    _package(tmp_path, "common")
    found = {info.name: info for info in discover(tmp_path)}
    assert set(found) == {"alpha", "beta"}
    assert found["alpha"].worker_module == "subgraphs.alpha.worker"
    assert found["beta"].worker_module is None
    spec = worker_spec(found["alpha"], "127.0.0.1")
    assert spec is not None and spec.port is None
    assert spec.argv[1:] == ("-m", "mosaic", "worker", "alpha")
    assert worker_spec(found["beta"], "127.0.0.1") is None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(") ", 1)[1][0] != "Z"


async def test_the_supervisor_runs_and_stops_a_worker(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    script = f"import pathlib, time; pathlib.Path({str(ready)!r}).touch(); time.sleep(600)"
    worker = ProcessSpec("demo-worker", (sys.executable, "-c", script), "127.0.0.1", None)
    supervisor = Supervisor([worker], cwd=tmp_path)
    running = asyncio.create_task(supervisor.run())
    deadline = asyncio.get_running_loop().time() + 60
    while not ready.exists():  # the worker started (it has no /health to ask)
        assert not running.done(), running
        assert asyncio.get_running_loop().time() < deadline, "the worker never started"
        await asyncio.sleep(0.05)
    pid = supervisor.processes["demo-worker"].pid
    assert _alive(pid)
    supervisor.request_stop()
    assert await asyncio.wait_for(running, 60) == 0
    assert not _alive(pid)
