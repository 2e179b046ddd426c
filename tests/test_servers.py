"""The throwaway servers are real: PostgreSQL answers SQL, Redis answers commands."""

import os
import shutil
import subprocess
from pathlib import Path

import redis as redis_lib

from tests.utils.servers import PostgresServer, RedisServer, postgres_binary


def test_postgres_answers_sql(postgres: PostgresServer, postgres_url: str) -> None:
    database = postgres_url.rsplit("/", 1)[1]
    out = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-p", str(postgres.port), "-U", "postgres", "-d", database,
         "-tAc", "SELECT current_database(), 6 * 7"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    assert out.stdout.strip() == f"{database}|42"


def test_redis_answers_commands(redis: RedisServer) -> None:
    client = redis_lib.Redis.from_url(redis.url())
    client.set("mosaic:probe", "ok")
    assert client.get("mosaic:probe") == b"ok"
    client.close()


def test_postgres_binaries_are_found_off_the_path_where_debian_installs_them() -> None:
    # Debian's package puts initdb and pg_ctl in /usr/lib/postgresql/<version>/bin, not on
    # PATH; `make postgres` installs it only when neither place has initdb.
    for name in ("initdb", "pg_ctl"):
        on_path = shutil.which(name)
        debian = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
        assert on_path or debian, f"{name} missing: `make postgres` should have installed it"
        assert postgres_binary(name) == (on_path or str(debian[-1]))
        if debian:
            assert postgres_binary(name, path="/nonexistent") == str(debian[-1])
        assert os.access(postgres_binary(name), os.X_OK)
