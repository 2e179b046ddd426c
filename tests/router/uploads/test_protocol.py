"""The router's side of the GraphQL multipart request spec, over raw HTTP: files reach the one
subgraph that takes them intact and signed (the subgraphs refuse unsigned requests), and every
malformed or unsafe request is refused with a clear GraphQL error before any subgraph sees it."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from router.server.multipart import SPOOL_MEMORY_BYTES
from tests.router.uploads.subgraphs import UploadGraph, upload_graph

PREFLIGHT = {"apollo-require-preflight": "true"}
STORE = "mutation ($f: Upload!) { store(file: $f) { name contentType size sha256 } }"
Part = tuple[str, str | None, str | None, bytes]  # name, filename, content type, bytes


def encode(parts: list[Part], boundary: str = "test-boundary-4f2a") -> tuple[str, bytes]:
    body = bytearray()
    for name, filename, content_type, data in parts:
        body += f'--{boundary}\r\ncontent-disposition: form-data; name="{name}"'.encode()
        if filename is not None:
            body += f'; filename="{filename}"'.encode()
        body += b"\r\n"
        if content_type is not None:
            body += f"content-type: {content_type}\r\n".encode()
        body += b"\r\n" + data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return f"multipart/form-data; boundary={boundary}", bytes(body)


def fields(query: str, variables: dict[str, Any], files_map: dict[str, list[str]]) -> list[Part]:
    operations = json.dumps({"query": query, "variables": variables}).encode()
    return [
        ("operations", None, None, operations),
        ("map", None, None, json.dumps(files_map).encode()),
    ]


async def post(
    graph: UploadGraph, parts: list[Part], headers: dict[str, str] | None = None
) -> httpx.Response:
    content_type, body = encode(parts)
    async with httpx.AsyncClient(base_url=graph.router_url, timeout=30) as client:
        return await client.post(
            "/graphql",
            content=body,
            headers={"content-type": content_type, **(PREFLIGHT if headers is None else headers)},
        )


def refusal(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    assert "data" not in body or body["data"] is None, body
    [error] = body["errors"]
    return response.status_code, error["extensions"]["code"], error["message"]


@pytest.fixture
async def graph(tmp_path: Path) -> Any:
    async with upload_graph(tmp_path, upload_max_file_bytes=3_000_000, upload_max_files=4) as g:
        yield g


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def test_one_file_reaches_its_subgraph_signed_and_intact(graph: UploadGraph) -> None:
    # Larger than the in-memory spool: these bytes went through the router's disk spool.
    data = os.urandom(SPOOL_MEMORY_BYTES + 123_457)
    parts = fields(STORE, {"f": None}, {"0": ["variables.f"]})
    response = await post(graph, [*parts, ("0", "big.bin", "application/x-test", data)])
    assert response.status_code == 200, response.text
    assert response.json() == {
        "data": {
            "store": {
                "name": "big.bin",
                "contentType": "application/x-test",
                "size": len(data),
                "sha256": digest(data),
            }
        }
    }
    assert graph.requests("files") == 1 and graph.requests("docs") == 0


async def test_lists_of_files_nested_lists_and_one_file_at_two_places(graph: UploadGraph) -> None:
    a, b, c = b"first file", b"second file" * 1000, b"\x00\xff third"
    many = fields(
        "mutation ($fs: [Upload!]!) { storeMany(files: $fs) { name size sha256 } }",
        {"fs": [None, None, None]},
        {"x": ["variables.fs.0", "variables.fs.2"], "y": ["variables.fs.1"]},
    )
    response = await post(graph, [*many, ("x", "a.txt", "text/plain", a), ("y", "b.txt", None, b)])
    assert response.json() == {
        "data": {
            "storeMany": [
                {"name": "a.txt", "size": len(a), "sha256": digest(a)},
                {"name": "b.txt", "size": len(b), "sha256": digest(b)},
                {"name": "a.txt", "size": len(a), "sha256": digest(a)},
            ]
        }
    }
    groups = fields(
        "mutation ($g: [[Upload!]!]!) { storeGroups(groups: $g) { name sha256 } }",
        {"g": [[None], [None, None]]},
        {"1": ["variables.g.0.0"], "2": ["variables.g.1.0"], "3": ["variables.g.1.1"]},
    )
    files = [("1", "a", None, a), ("2", "b", None, b), ("3", "c", None, c)]
    response = await post(graph, [*groups, *files])
    assert response.json() == {
        "data": {
            "storeGroups": [
                [{"name": "a", "sha256": digest(a)}],
                [{"name": "b", "sha256": digest(b)}, {"name": "c", "sha256": digest(c)}],
            ]
        }
    }


async def test_other_root_fields_of_the_same_subgraph_run_in_the_same_request(
    graph: UploadGraph,
) -> None:
    parts = fields(
        'mutation ($f: Upload!) { store(file: $f, note: "n") { size } rename(name: "x") }',
        {"f": None},
        {"0": ["variables.f"]},
    )
    response = await post(graph, [*parts, ("0", "n.txt", None, b"12345")])
    assert response.json() == {"data": {"store": {"size": 5}, "rename": "x"}}


async def test_the_map_may_only_point_at_upload_variables(graph: UploadGraph) -> None:
    query = "mutation ($f: Upload!, $n: String!) { store(file: $f, note: $n) { size } }"
    cases = {
        "variables.n": "which is not of type Upload",
        "variables.nope": "names no variable",
        "files.f": "must start with `variables.`",
        "variables.f.0": "does not reach an Upload",
    }
    for path, message in cases.items():
        parts = fields(query, {"f": None, "n": None}, {"0": [path]})
        response = await post(graph, [*parts, ("0", "a", None, b"x")])
        status, code, text = refusal(response)
        assert (status, code) == (400, "BAD_REQUEST"), text
        assert message in text, text
    assert graph.requests("files") == 0


async def test_every_map_key_needs_a_file_and_every_file_a_map_key(graph: UploadGraph) -> None:
    many = fields(
        "mutation ($fs: [Upload!]!) { storeMany(files: $fs) { size } }",
        {"fs": [None, None]},
        {"0": ["variables.fs.0"], "1": ["variables.fs.1"]},
    )
    missing = await post(graph, [*many, ("0", "a", None, b"x")])
    assert refusal(missing)[:2] == (400, "BAD_REQUEST")
    assert "no file for the map keys 1" in refusal(missing)[2]
    extra = await post(graph, [*many, ("0", "a", None, b"x"), ("1", "b", None, b"y"),
                               ("2", "c", None, b"z")])  # fmt: skip
    assert refusal(extra)[:2] == (400, "BAD_REQUEST")
    assert "`2` is not in the `map`" in refusal(extra)[2]
    assert graph.requests("files") == 0


async def test_parts_must_come_in_the_spec_order(graph: UploadGraph) -> None:
    operations, files_map = fields(STORE, {"f": None}, {"0": ["variables.f"]})
    file = ("0", "a", None, b"x")
    for parts in ([file, operations, files_map], [files_map, operations, file],
                  [operations, file, files_map], [operations, file]):  # fmt: skip
        status, code, message = refusal(await post(graph, parts))
        assert (status, code) == (400, "BAD_REQUEST"), message
        assert "`operations`, `map`" in message or "no `map`" in message, message
    assert graph.requests("files") == 0


async def test_malformed_fields_are_refused(graph: UploadGraph) -> None:
    bad_json = [("operations", None, None, b"{nope"), ("map", None, None, b"{}")]
    assert "not valid JSON" in refusal(await post(graph, bad_json))[2]
    batched = [("operations", None, None, b"[]"), ("map", None, None, b"{}")]
    assert "Batched" in refusal(await post(graph, batched))[2]
    bad_map = fields(STORE, {"f": None}, {"0": "variables.f"})  # type: ignore[dict-item]
    assert "lists of paths" in refusal(await post(graph, bad_map))[2]
    not_null = fields(STORE, {"f": "a string"}, {"0": ["variables.f"]})
    assert (
        "must point at a null" in refusal(await post(graph, [*not_null, ("0", "a", None, b"x")]))[2]
    )
    async with httpx.AsyncClient(base_url=graph.router_url) as client:
        response = await client.post(
            "/graphql", content=b"x", headers={"content-type": "multipart/form-data", **PREFLIGHT}
        )
    assert refusal(response)[:2] == (400, "BAD_REQUEST")
    assert "boundary" in refusal(response)[2]


async def test_upload_fields_of_two_subgraphs_are_refused(graph: UploadGraph) -> None:
    parts = fields(
        "mutation ($a: Upload!, $b: Upload!) "
        "{ store(file: $a) { size } attach(file: $b) { size } }",
        {"a": None, "b": None},
        {"0": ["variables.a"], "1": ["variables.b"]},
    )
    response = await post(graph, [*parts, ("0", "a", None, b"x"), ("1", "b", None, b"y")])
    status, code, message = refusal(response)
    assert (status, code) == (400, "UPLOAD_SPANS_SUBGRAPHS")
    assert "docs, files" in message
    assert graph.requests("files") == 0 and graph.requests("docs") == 0


async def test_csrf_prevention_applies_to_multipart_requests(graph: UploadGraph) -> None:
    parts = [*fields(STORE, {"f": None}, {"0": ["variables.f"]}), ("0", "a", None, b"x")]
    # What a cross-site <form> can send: a simple content type and no custom header.
    status, code, _ = refusal(await post(graph, parts, headers={}))
    assert (status, code) == (400, "CSRF_PREVENTED")
    assert graph.requests("files") == 0
    for header in ("apollo-require-preflight", "x-apollo-operation-name"):
        response = await post(graph, parts, headers={header: "1"})
        assert response.json() == {
            "data": {
                "store": {
                    "name": "a",
                    "contentType": "application/octet-stream",
                    "size": 1,
                    "sha256": digest(b"x"),
                }
            }
        }


async def test_limits_refuse_large_files_and_too_many_files(graph: UploadGraph) -> None:
    parts = fields(STORE, {"f": None}, {"0": ["variables.f"]})
    response = await post(graph, [*parts, ("0", "big", None, b"\x01" * 3_000_001)])
    status, code, message = refusal(response)
    assert (status, code) == (413, "PAYLOAD_TOO_LARGE")
    assert "larger than 3000000 bytes" in message
    exactly = await post(graph, [*parts, ("0", "ok", None, b"\x01" * 3_000_000)])
    assert exactly.json()["data"]["store"]["size"] == 3_000_000
    five = fields(
        "mutation ($fs: [Upload!]!) { storeMany(files: $fs) { size } }",
        {"fs": [None] * 5},
        {str(i): [f"variables.fs.{i}"] for i in range(5)},
    )
    response = await post(graph, [*five, *[(str(i), "f", None, b"x") for i in range(5)]])
    assert refusal(response)[:2] == (413, "PAYLOAD_TOO_LARGE")
    assert "At most 4 files" in refusal(response)[2]
    assert graph.requests("files") == 1  # only the file of exactly the limit


async def test_a_file_over_the_limit_is_refused_before_the_rest_arrives(
    graph: UploadGraph,
) -> None:
    """The client sends the limit plus one byte and then nothing: the 413 comes anyway, so the
    router did not wait for (or hold) the rest of the file."""
    content_type, body = encode(
        [*fields(STORE, {"f": None}, {"0": ["variables.f"]}), ("0", "big", None, b"")]
    )
    head_of_file = body[: body.rindex(b"\r\n--")]  # everything up to the (empty) file's end
    host, port = graph.router_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    promised = len(head_of_file) + 8_000_000  # a body far larger than what is sent
    writer.write(
        f"POST /graphql HTTP/1.1\r\nhost: {host}\r\ncontent-type: {content_type}\r\n"
        f"apollo-require-preflight: 1\r\ncontent-length: {promised}\r\n\r\n".encode()
        + head_of_file
        + b"\x02" * 3_000_001
    )
    await writer.drain()
    status_line = await asyncio.wait_for(reader.readline(), 30)
    head = await reader.readuntil(b"\r\n\r\n")
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length")))  # fmt: skip
    answer = json.loads(await reader.readexactly(length))
    writer.close()
    assert status_line.startswith(b"HTTP/1.1 413"), status_line
    assert answer["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert graph.requests("files") == 0


async def test_json_posts_are_unchanged(graph: UploadGraph) -> None:
    async with httpx.AsyncClient(base_url=graph.router_url) as client:
        plain = await client.post("/graphql", json={"query": "{ filesVersion docsVersion }"})
    assert plain.json() == {"data": {"filesVersion": "1", "docsVersion": "1"}}


async def test_uploads_can_be_turned_off(tmp_path: Path) -> None:
    async with upload_graph(tmp_path, uploads=False) as off:
        parts = [*fields(STORE, {"f": None}, {"0": ["variables.f"]}), ("0", "a", None, b"x")]
        status, code, message = refusal(await post(off, parts))
        assert (status, code) == (415, "BAD_REQUEST")
        assert "application/json" in message
        assert off.requests("files") == 0


async def test_a_request_larger_than_a_json_body_reaches_a_signed_subgraph(tmp_path: Path) -> None:
    """Two 9 MB files (18 MB, past the 16 MB a subgraph holds for a JSON body): the subgraph's
    signature check spools the upload to disk and hashes it as it reads it back."""
    a, b = os.urandom(9 * 1024 * 1024), os.urandom(9 * 1024 * 1024)
    async with upload_graph(tmp_path) as defaults:
        parts = fields(
            "mutation ($fs: [Upload!]!) { storeMany(files: $fs) { size sha256 } }",
            {"fs": [None, None]},
            {"0": ["variables.fs.0"], "1": ["variables.fs.1"]},
        )
        response = await post(defaults, [*parts, ("0", "a", None, a), ("1", "b", None, b)])
    assert response.json() == {
        "data": {
            "storeMany": [
                {"size": len(a), "sha256": digest(a)},
                {"size": len(b), "sha256": digest(b)},
            ]
        }
    }


async def test_an_operations_field_over_the_body_limit_is_refused(graph: UploadGraph) -> None:
    padded = json.dumps({"query": STORE + " " * 2_000_000, "variables": {"f": None}}).encode()
    parts: list[Part] = [("operations", None, None, padded), ("map", None, None, b"{}")]
    status, code, message = refusal(await post(graph, parts))
    assert (status, code) == (413, "PAYLOAD_TOO_LARGE")
    assert "`operations` field is larger than 2000000 bytes" in message


async def test_a_client_that_goes_away_mid_file_costs_nothing_more(
    graph: UploadGraph, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "mosaic.router")
    content_type, body = encode(
        [*fields(STORE, {"f": None}, {"0": ["variables.f"]}), ("0", "a", None, b"\x03" * 500_000)]
    )
    host, port = graph.router_url.removeprefix("http://").split(":")
    _, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        f"POST /graphql HTTP/1.1\r\nhost: {host}\r\ncontent-type: {content_type}\r\n"
        f"apollo-require-preflight: 1\r\ncontent-length: {len(body)}\r\n\r\n".encode()
        + body[: len(body) // 2]
    )
    await writer.drain()
    writer.close()
    await writer.wait_closed()
    # The router's request ends (one log line, no traceback) once it sees the disconnect.
    deadline = asyncio.get_running_loop().time() + 30
    while "disconnected during the upload" not in caplog.text:
        assert asyncio.get_running_loop().time() < deadline, caplog.text
        await asyncio.sleep(0.01)
    assert "Traceback" not in caplog.text
    # The router still serves, and the half-sent upload never reached the subgraph.
    parts = [*fields(STORE, {"f": None}, {"0": ["variables.f"]}), ("0", "b", None, b"ok")]
    response = await post(graph, parts)
    assert response.json()["data"]["store"]["size"] == 2
    assert graph.requests("files") == 1
