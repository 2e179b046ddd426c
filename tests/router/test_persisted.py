"""Persisted documents through the router over HTTP: Apollo's APQ protocol (in memory and in a
real Redis shared by two router apps) and a trusted-documents manifest in safelist mode."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from router.persisted.documents import MANIFEST_FORMAT
from router.server.app import create_app
from router.settings import RouterSettings
from tests.router.canned import case_supergraph
from tests.utils.asgi import serve
from tests.utils.servers import RedisServer

CASE = Path(__file__).parent / "cases" / "shop-basic"
QUERY = "query Hello { __typename }"
HASH = hashlib.sha256(QUERY.encode()).hexdigest()
EXTENSIONS = {"persistedQuery": {"version": 1, "sha256Hash": HASH}}


def _settings(**options: Any) -> RouterSettings:
    return RouterSettings(
        _env_file=None,  # type: ignore[call-arg]
        supergraph=str(case_supergraph(CASE)),
        hot_reload=False,
        **options,
    )


def _code(response: httpx.Response) -> str:
    return str(response.json()["errors"][0]["extensions"]["code"])


async def test_apq_in_memory_post_and_get() -> None:
    async with (
        serve(create_app(_settings())) as url,
        httpx.AsyncClient(base_url=url, timeout=60) as client,
    ):
        miss = await client.post("/graphql", json={"extensions": EXTENSIONS})
        assert miss.status_code == 200 and _code(miss) == "PERSISTED_QUERY_NOT_FOUND"
        wrong = await client.post(
            "/graphql", json={"query": "{ __typename }", "extensions": EXTENSIONS}
        )
        assert _code(wrong) == "PERSISTED_QUERY_HASH_MISMATCH"
        stored = await client.post("/graphql", json={"query": QUERY, "extensions": EXTENSIONS})
        assert stored.json() == {"data": {"__typename": "Query"}}
        hit = await client.post("/graphql", json={"extensions": EXTENSIONS})
        assert hit.json() == {"data": {"__typename": "Query"}}
        get = await client.get("/graphql", params={"extensions": json.dumps(EXTENSIONS)})
        assert get.json() == {"data": {"__typename": "Query"}}


async def test_apq_off() -> None:
    settings = _settings(apq=False)
    async with (
        serve(create_app(settings)) as url,
        httpx.AsyncClient(base_url=url, timeout=60) as client,
    ):
        response = await client.post("/graphql", json={"extensions": EXTENSIONS})
    assert _code(response) == "PERSISTED_QUERY_NOT_SUPPORTED"


@pytest.mark.redis
async def test_apq_in_redis_is_shared_by_replicas(redis: RedisServer) -> None:
    settings = _settings(redis_url=redis.url(4))
    async with (
        serve(create_app(settings)) as first,
        serve(create_app(settings)) as second,
        httpx.AsyncClient(timeout=60) as client,
    ):
        query = "query Shared { __typename }"
        digest = hashlib.sha256(query.encode()).hexdigest()
        extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
        stored = await client.post(
            f"{first}/graphql", json={"query": query, "extensions": extensions}
        )
        assert stored.json() == {"data": {"__typename": "Query"}}
        hit = await client.post(f"{second}/graphql", json={"extensions": extensions})
        assert hit.json() == {"data": {"__typename": "Query"}}


async def test_safelist_serves_only_the_manifest(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.json"
    manifest.write_text(
        json.dumps(
            {
                "format": MANIFEST_FORMAT,
                "version": 1,
                "operations": [{"id": HASH, "name": "Hello", "type": "query", "body": QUERY}],
            }
        )
    )
    settings = _settings(persisted_documents=str(manifest), persisted_documents_safelist=True)
    async with (
        serve(create_app(settings)) as url,
        httpx.AsyncClient(base_url=url, timeout=60) as client,
    ):
        by_id = await client.post("/graphql", json={"extensions": EXTENSIONS})
        assert by_id.json() == {"data": {"__typename": "Query"}}
        by_body = await client.post("/graphql", json={"query": QUERY})
        assert by_body.json() == {"data": {"__typename": "Query"}}
        unknown = await client.post("/graphql", json={"query": "{ __typename }"})
        assert unknown.status_code == 200  # application/json: GraphQL over HTTP's 200
        assert _code(unknown) == "PERSISTED_QUERY_NOT_IN_LIST"
        other = hashlib.sha256(b"{ __typename }").hexdigest()
        unknown_id = await client.post(
            "/graphql",
            json={"extensions": {"persistedQuery": {"version": 1, "sha256Hash": other}}},
            headers={"accept": "application/graphql-response+json"},
        )
        assert unknown_id.status_code == 400
        assert _code(unknown_id) == "PERSISTED_QUERY_NOT_IN_LIST"
        ready = (await client.get("/ready")).json()
        assert ready["details"]["persisted_documents"] == {"operations": 1, "safelist": True}
