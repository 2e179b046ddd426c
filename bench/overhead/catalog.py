"""The realistic overhead target: Mosaic's own catalog subgraph (Python, Strawberry) doing real
database work on a throwaway PostgreSQL, called straight and through each gateway.

The public benchmark's products subgraph (bench/overhead/run.py's first target) answers from
memory in ~0.2 ms, so any extra HTTP hop doubles its latency; a subgraph that reads a database
is what a router sits in front of in practice. Started the way bench/domain does it: PostgreSQL,
`mosaic db upgrade catalog`, `mosaic seed catalog`, uvicorn on the catalog app; the supergraph is
the committed schema/supergraph.graphql with catalog's URL pointed at it (the query touches
catalog alone, so the other subgraphs need not run).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.domain.run import point_supergraph, python
from bench.federation.gateways import REPO_DIR
from bench.harness.procs import Process, free_port, post_json, wait_http
from bench.harness.services import Postgres

SUBGRAPH = "catalog"
QUERY_FILE = Path(__file__).resolve().parent / "catalog.graphql"
OPERATION = "CatalogProducts"


@dataclass(frozen=True)
class CatalogTarget:
    """The running catalog subgraph: its URL and process, and a supergraph pointing at it."""

    url: str
    process: Process
    supergraph: Path
    sdl_dir: Path  # catalog.graphql: the subgraph's own SDL (for Grafbase's schema_path)


def request_body() -> bytes:
    return json.dumps({"query": QUERY_FILE.read_text(), "operationName": OPERATION}).encode()


def _subgraph_sdl(url: str) -> str:
    status, answer = post_json(url, b'{"query":"{ _service { sdl } }"}')
    document = json.loads(answer)
    if status != 200 or document.get("errors"):
        raise RuntimeError(f"catalog's _service.sdl failed: {answer[:300]!r}")
    return str(document["data"]["_service"]["sdl"])


@contextmanager
def catalog_subgraph(work: Path, cpus: str | None) -> Iterator[CatalogTarget]:
    """PostgreSQL with the seeded catalog database, and the catalog subgraph serving it."""
    postgres = Postgres(work / "postgres")
    process: Process | None = None
    try:
        postgres.create_database(SUBGRAPH)
        env = {
            "MOSAIC_ENV": "dev",
            "MOSAIC_DATABASE_URL": postgres.url("{subgraph}"),
            "MOSAIC_EVENT_BACKEND": "memory",
            "MOSAIC_DATA_DIR": str(work / "data"),
            "MOSAIC_LOG_LEVEL": "warning",
        }
        full_env = {**os.environ, **env}
        for argv in (["db", "upgrade", SUBGRAPH], ["seed", SUBGRAPH]):
            subprocess.run(
                [python(), "-m", "mosaic", *argv],
                cwd=REPO_DIR,
                env=full_env,
                check=True,
                capture_output=True,
            )
        port = free_port()
        argv = [python(), "-m", "uvicorn", f"subgraphs.{SUBGRAPH}.app:app", "--port", str(port)]
        argv += ["--loop", "uvloop", "--http", "httptools", "--log-level", "warning"]
        argv += ["--no-access-log"]
        process = Process(
            f"subgraph {SUBGRAPH}",
            argv,
            log_path=work / f"{SUBGRAPH}.log",
            cwd=REPO_DIR,
            env=env,
            cpus=cpus,
        )
        wait_http(f"http://127.0.0.1:{port}/health", process)
        url = f"http://127.0.0.1:{port}/graphql"
        supergraph = work / "catalog-supergraph.graphql"
        point_supergraph(REPO_DIR / "schema" / "supergraph.graphql", {SUBGRAPH: url}, supergraph)
        sdl_dir = work / "catalog-sdl"
        sdl_dir.mkdir(parents=True, exist_ok=True)
        (sdl_dir / f"{SUBGRAPH}.graphql").write_text(_subgraph_sdl(url))
        yield CatalogTarget(url, process, supergraph, sdl_dir)
    finally:
        if process is not None:
            process.stop()
        postgres.stop()
