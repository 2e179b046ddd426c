"""The subgraph side of an upload, byte by byte against raw servers: the body the router
streams from its spool (router/executor/upload.py over http1's `post_stream`) is a well-formed
multipart request whose signature the subgraphs' verifier accepts; a subgraph that answers
before the body is complete stops the sending, and that connection is never reused."""

from __future__ import annotations

import os
import tempfile
import time
from typing import Any

import orjson
from python_multipart.multipart import parse_options_header

from router.executor import SubgraphClients
from router.executor.signing import Signer
from router.executor.upload import FilePart, Uploads, multipart_body
from subgraphs.common.signing import Verifier
from tests.router.test_subgraph_client import (
    ANSWER,
    QUERY,
    Conn,
    RawServer,
    clients,  # noqa: F401
    keep_answering,
    response,
)

KEY = "streamed-requests-signing-key-0123456789abcdef"


def body_with(data: bytes) -> Any:
    spool = tempfile.SpooledTemporaryFile(max_size=1024)
    spool.write(b"junk before" + data + b"junk after")
    file = FilePart("0", 'a "quoted"\r\nname.png', "image/png", len(b"junk before"), len(data))
    payload = {"query": "mutation ($f: Upload!) { store(file: $f) }", "variables": {"f": file}}
    return multipart_body(payload, Uploads(spool, frozenset({"f"})), frozenset({"f"}))


async def test_a_streamed_upload_is_well_formed_and_signed(clients: Any) -> None:  # noqa: F811
    data = os.urandom(300_000)
    async with RawServer(keep_answering) as server:
        client: SubgraphClients = clients(server.url, signer=Signer(KEY))
        body = body_with(data)
        payload, _ = await client.upload("sub", body)
        assert payload == orjson.loads(ANSWER)
        assert await client.post("sub", QUERY) == orjson.loads(ANSWER)  # same connection
    assert server.accepted == 1
    upload = server.requests[0]
    [content_type] = upload.header("content-type")
    assert content_type == body.content_type
    assert len(upload.body) == body.length
    _, options = parse_options_header(content_type)
    boundary = b"--" + options[b"boundary"]
    parts = upload.body.split(boundary)
    assert parts[0] == b"" and parts[-1] == b"--\r\n"
    operations, files_map, file = parts[1:-1]
    assert orjson.loads(operations.split(b"\r\n\r\n", 1)[1]) == {
        "query": "mutation ($f: Upload!) { store(file: $f) }",
        "variables": {"f": None},
    }
    assert orjson.loads(files_map.split(b"\r\n\r\n", 1)[1]) == {"0": ["variables.f"]}
    head, content = file.split(b"\r\n\r\n", 1)
    assert b'filename="a %22quoted%22%0D%0Aname.png"' in head  # one header line, escaped
    assert content == data + b"\r\n"
    # What the subgraphs check: the signature covers this exact body.
    [signature] = upload.header("x-mosaic-signature")
    verifier = Verifier(KEY)
    assert verifier.check(signature, "POST", "/graphql", upload.body, time.time())


async def test_an_answer_before_the_end_of_the_body_stops_the_upload(clients: Any) -> None:  # noqa: F811
    async def refuse_early(conn: Conn) -> None:
        if conn.index == 0:
            await conn.reader.readuntil(b"\r\n\r\n")
            await conn.reader.readexactly(1000)  # a little of the body, then the answer
            # (32 MB: more than loopback socket buffers take, so the sender must wait)
            refusal = orjson.dumps({"errors": [{"message": "too large"}]})
            await conn.send(response(refusal, status="413 Payload Too Large"))
            await conn.reader.read()  # keep the connection open; never read the rest
        else:
            await keep_answering(conn)

    async with RawServer(refuse_early) as server:
        client: SubgraphClients = clients(server.url)
        payload, _ = await client.upload("sub", body_with(os.urandom(32 * 1024 * 1024)))
        assert payload == {"errors": [{"message": "too large"}]}
        assert await client.post("sub", QUERY) == orjson.loads(ANSWER)
    assert server.accepted == 2  # the cut-short connection was not reused
