"""The throwaway servers are real: PostgreSQL answers SQL, Redis answers commands."""

import subprocess

import redis as redis_lib

from tests.utils.servers import PostgresServer, RedisServer


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
