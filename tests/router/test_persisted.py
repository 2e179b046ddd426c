"""Persisted documents through the router over HTTP: Apollo's APQ protocol (in memory and in a
real Redis shared by two router apps) and a trusted-documents manifest in safelist mode."""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from router.persisted.documents import MANIFEST_FORMAT, write_manifest
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
        get = await client.get(  # Apollo Client's GET sends a JSON content type: not CSRF-able
            "/graphql",
            params={"extensions": json.dumps(EXTENSIONS)},
            headers={"content-type": "application/json"},
        )
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


def _publish(operations: Path, manifest: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mosaic", "operations", "publish", str(operations),
         "--manifest", str(manifest), "--supergraph", str(case_supergraph(CASE))],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def _node_client(url: str, mode: str, manifest: Path | None = None) -> dict[str, Any]:
    script = Path(__file__).parent / "persisted_client.mjs"
    argv = ["node", str(script), url, mode, *([str(manifest)] if manifest else [])]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


@pytest.mark.peers
async def test_apollo_clients_persisted_query_link_registers_then_sends_hashes() -> None:
    async with serve(create_app(_settings())) as url:
        out = await asyncio.to_thread(_node_client, f"{url}/graphql", "apq")
    assert out["results"] == [{"data": {"__typename": "Query"}}] * 3
    first, retry, second, third = out["bodies"]
    assert "query" not in first and first["extensions"]["persistedQuery"]["version"] == 1
    assert "query" in retry  # after PersistedQueryNotFound, the query with its hash
    assert "query" not in second  # a fresh client: the router already knows the hash
    assert "get" in third and "extensions" in third["get"] and "query=" not in third["get"]


@pytest.mark.peers
async def test_apollo_client_with_published_trusted_documents(tmp_path: Path) -> None:
    operations = tmp_path / "operations.graphql"
    operations.write_text("query Hello { __typename }\n")
    manifest = tmp_path / "manifest.json"
    published = await asyncio.to_thread(_publish, operations, manifest)
    assert published.returncode == 0, published.stderr
    assert json.loads(published.stdout)["added"] == 1
    settings = _settings(persisted_documents=str(manifest), persisted_documents_safelist=True)
    async with serve(create_app(settings)) as url:
        out = await asyncio.to_thread(_node_client, f"{url}/graphql", "manifest", manifest)
    hello, unknown = out["results"]
    assert hello == {"data": {"__typename": "Query"}}
    assert unknown["errors"][0]["code"] == "PERSISTED_QUERY_NOT_IN_LIST"
    assert all("query" not in body for body in out["bodies"])  # ids only, never documents


def test_publish_refuses_documents_that_do_not_validate(tmp_path: Path) -> None:
    operations = tmp_path / "operations.graphql"
    operations.write_text("query Good { __typename }\nquery Bad { noSuchField }\n")
    manifest = tmp_path / "manifest.json"
    done = _publish(operations, manifest)
    assert done.returncode == 2
    assert "Bad" in done.stderr and "noSuchField" in done.stderr
    assert not manifest.exists()  # nothing published


async def test_the_router_rereads_a_published_manifest(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.json"
    write_manifest(manifest, [])
    settings = _settings(
        persisted_documents=str(manifest), persisted_documents_safelist=True, reload_interval=0.05
    )
    async with (
        serve(create_app(settings)) as url,
        httpx.AsyncClient(base_url=url, timeout=60) as client,
    ):
        before = await client.post("/graphql", json={"query": QUERY})
        assert _code(before) == "PERSISTED_QUERY_NOT_IN_LIST"
        write_manifest(manifest, [{"id": HASH, "name": "Hello", "type": "query", "body": QUERY}])
        deadline = time.monotonic() + 30
        while True:  # poll for the state: the watcher re-reads within its interval
            after = await client.post("/graphql", json={"query": QUERY})
            if "errors" not in after.json() or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
        assert after.json() == {"data": {"__typename": "Query"}}


async def test_safelist_matches_bodies_as_apollo_router_does(tmp_path: Path) -> None:
    """A full query is listed when it is a published body up to whitespace, commas, comments
    and the order of its operations and fragments (Apollo Router's normalization); the order of
    fields, or anything else, still counts."""
    written = "query Hello {\n  ...Name # the fragment\n}\nfragment Name on Query { __typename }\n"
    operations = tmp_path / "operations.graphql"
    operations.write_text(written)
    manifest = tmp_path / "manifest.json"
    published = await asyncio.to_thread(_publish, operations, manifest)
    assert published.returncode == 0, published.stderr
    settings = _settings(persisted_documents=str(manifest), persisted_documents_safelist=True)
    async with (
        serve(create_app(settings)) as url,
        httpx.AsyncClient(base_url=url, timeout=60) as client,
    ):
        for listed in (
            written,  # the text as written in the published file
            "fragment Name on Query { __typename } query Hello { ...Name }",
            "query Hello{...Name},,fragment Name on Query{__typename}",
        ):
            answer = await client.post("/graphql", json={"query": listed})
            assert answer.json() == {"data": {"__typename": "Query"}}, listed
        for unlisted in (
            "query Hello { ...Name } fragment Name on Query { __typename a: __typename }",
            "query Hello { __typename }",
            "query Hello {",  # does not parse: never listed
            written + " " * (100 * len(written)),  # far longer than any body: not parsed
        ):
            refused = await client.post("/graphql", json={"query": unlisted})
            assert _code(refused) == "PERSISTED_QUERY_NOT_IN_LIST", unlisted
