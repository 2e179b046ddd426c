"""Throwaway PostgreSQL (with pg_stat_statements, to count SQL) and Redis for a benchmark run.

PostgreSQL refuses to run as root: as root, its commands run as the `postgres` user.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from bench.harness.procs import Process, free_port


def _as_postgres(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


class Postgres:
    """A PostgreSQL server in `directory`, on a free port, counting statements."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(directory, "postgres")
        self.data = directory / "data"
        self.port = free_port()
        subprocess.run(
            _as_postgres(
                [
                    *("initdb", "-D", str(self.data), "-A", "trust"),
                    *("-U", "postgres", "-E", "UTF8", "--no-sync"),
                ]
            ),
            check=True,
            capture_output=True,
        )
        options = (
            f"-p {self.port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off"
            " -c max_connections=300 -c shared_preload_libraries=pg_stat_statements"
            " -c pg_stat_statements.track=all"
        )
        subprocess.run(
            _as_postgres(
                [
                    *("pg_ctl", "-D", str(self.data), "-o", options),
                    *("-l", str(directory / "log"), "-w", "start"),
                ]
            ),
            check=True,
            capture_output=True,
        )
        self.sql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def sql(self, statement: str, database: str = "postgres") -> str:
        done = subprocess.run(
            [
                *("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"),
                *("-d", database, "-Atq", "-c", statement),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout.strip()

    def create_database(self, name: str) -> None:
        self.sql(f'CREATE DATABASE "{name}"')

    def reset_statement_counts(self) -> None:
        self.sql("SELECT pg_stat_statements_reset()")

    def statement_count(self, databases: list[str]) -> int:
        """Statements executed in these databases since the last reset."""
        names = ", ".join(f"'{name}'" for name in databases)
        total = self.sql(
            "SELECT coalesce(sum(s.calls), 0) FROM pg_stat_statements s"
            f" JOIN pg_database d ON d.oid = s.dbid WHERE d.datname IN ({names})"
        )
        return int(total or 0)

    def top_statements(self, databases: list[str], limit: int = 10) -> list[tuple[str, int, str]]:
        """(database, calls, statement) with the most calls since the last reset."""
        names = ", ".join(f"'{name}'" for name in databases)
        rows = self.sql(
            "SELECT d.datname, s.calls, regexp_replace(left(s.query, 160), '\\s+', ' ', 'g')"
            " FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid"
            f" WHERE d.datname IN ({names}) ORDER BY s.calls DESC LIMIT {limit}"
        )
        out = []
        for row in rows.splitlines():
            database, calls, statement = row.split("|", 2)
            out.append((database, int(calls), statement))
        return out

    def stop(self) -> None:
        """Stop the server and delete its data (the log stays)."""
        subprocess.run(
            _as_postgres(["pg_ctl", "-D", str(self.data), "-m", "immediate", "stop"]),
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.data, ignore_errors=True)


def start_redis(work: Path) -> tuple[Process, str]:
    """A redis-server on a free port (nothing saved); its process and URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is missing (make redis installs it)")
    port = free_port()
    argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    return Process("redis", argv, log_path=work / "redis.log"), f"redis://127.0.0.1:{port}/0"
