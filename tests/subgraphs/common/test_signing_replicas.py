"""Replays across replicas: two users-subgraph processes (uvicorn, as `mosaic dev` runs them)
share one real Redis for seen nonces, so a signed `_entities` call accepted by one replica is
refused as replayed by the other; without Redis the store is per process. Redis unreachable:
503 SERVICE_UNAVAILABLE, never an unchecked request."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from router.executor.signing import Signer
from subgraphs.common.signing import NonceStoreUnavailable, RedisNonces, Verifier
from tests.utils.servers import RedisServer, free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[3]
KEY = "r" * 40
ENTITIES = orjson.dumps(
    {
        "query": "query($r: [_Any!]!) { _entities(representations: $r) { __typename } }",
        "variables": {"r": [{"__typename": "User", "id": "nobody"}]},
    }
)


def _env(data_dir: Path, redis_url: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MOSAIC_")}
    return {
        **clean,
        "PYTHONPATH": str(ROOT),
        "MOSAIC_DATA_DIR": str(data_dir),
        "MOSAIC_ROUTER_SIGNING_KEY": KEY,
        "MOSAIC_REQUIRE_SIGNED_REQUESTS": "true",
        "MOSAIC_REDIS_URL": redis_url,
    }


def _replica(cwd: Path, env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "subgraphs.users.app:app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.fixture
def two_replicas(tmp_path: Path, redis: RedisServer) -> Iterator[list[str]]:
    env = _env(tmp_path / ".data", redis.url(5))
    upgrade = subprocess.run(
        [sys.executable, "-m", "mosaic", "db", "upgrade", "users"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert upgrade.returncode == 0, upgrade.stderr
    ports = [free_port(), free_port()]
    processes = [_replica(tmp_path, env, port) for port in ports]
    try:
        for port in ports:
            wait_for_port(port, timeout=60)
        yield [f"http://127.0.0.1:{port}/graphql" for port in ports]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(15)


def test_a_replay_to_the_other_replica_is_refused(two_replicas: list[str]) -> None:
    first, second = two_replicas
    name, value = Signer(KEY).header("POST", "/graphql", ENTITIES)
    headers = {"content-type": "application/json", name: value}
    with httpx.Client(timeout=30) as client:
        accepted = client.post(first, content=ENTITIES, headers=headers)
        assert accepted.status_code == 200, accepted.text
        assert accepted.json() == {"data": {"_entities": [None]}}
        replayed = client.post(second, content=ENTITIES, headers=headers)
        assert replayed.status_code == 401
        error = replayed.json()["errors"][0]
        assert error["extensions"]["code"] == "UNAUTHENTICATED"
        assert "replayed" in error["message"]
        # Each replica still answers the router's own (fresh) requests.
        for url in (second, first):
            fresh = dict([Signer(KEY).header("POST", "/graphql", ENTITIES)])
            response = client.post(url, content=ENTITIES, headers={**headers, **fresh})
            assert response.status_code == 200, response.text


async def test_redis_down_refuses_rather_than_skips_the_check() -> None:
    nonces = RedisNonces(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    verifier = Verifier(KEY, nonces=nonces)
    _, value = Signer(KEY).header("POST", "/graphql", b"{}")
    try:
        with pytest.raises(NonceStoreUnavailable):
            await verifier.verify(value, "POST", "/graphql", b"{}")
    finally:
        await nonces.close()
