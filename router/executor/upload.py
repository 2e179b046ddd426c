"""File uploads to a subgraph: the fetch that carries a client's files is sent as a GraphQL
multipart request of its own (`operations` with the subgraph operation, `map`, the files).

The files stay in the request's spool (router/server/multipart.py); the body is a list of
segments (bytes, or a file's byte range in the spool) that `chunks` reads in CHUNK_BYTES pieces,
once to sign it (the HMAC runs over the chunks, router/executor/signing.py) and once to send it.
Signing at send time keeps the signature's timestamp fresh however slowly the client uploaded.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any

import orjson

CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True, eq=False)
class FilePart:
    """One uploaded file: where it lies in the request's spool. Compared by identity: the same
    file may sit at several variable paths (the spec allows a map entry with several paths)."""

    key: str  # its form field name in the client's request
    filename: str
    content_type: str
    offset: int
    size: int


@dataclass(frozen=True, slots=True)
class Uploads:
    """A request's files: a root fetch that uses one of `variables` carries them."""

    spool: IO[bytes]
    variables: frozenset[str]  # the operation's Upload variables that the map fills


Segment = bytes | FilePart


@dataclass(frozen=True, slots=True)
class MultipartBody:
    content_type: str
    segments: tuple[Segment, ...]
    length: int
    spool: IO[bytes]

    def __iter__(self) -> Iterator[bytes]:
        """Each iteration reads the body afresh (to sign it, then to send it)."""
        return self.chunks()

    def chunks(self) -> Iterator[bytes]:
        spool = self.spool
        for segment in self.segments:
            if isinstance(segment, bytes):
                yield segment
                continue
            position, end = segment.offset, segment.offset + segment.size
            while position < end:
                # seek and read with no await between them: concurrent readers cannot interleave
                spool.seek(position)
                chunk = spool.read(min(CHUNK_BYTES, end - position))
                if not chunk:
                    raise OSError("the upload spool ended early")
                position += len(chunk)
                yield chunk


def _strip_files(value: Any, path: str, found: dict[FilePart, list[str]]) -> Any:
    """`value` with each FilePart replaced by null (what `operations` carries), recording where."""
    if isinstance(value, FilePart):
        found.setdefault(value, []).append(path)
        return None
    if isinstance(value, list):
        return [_strip_files(item, f"{path}.{i}", found) for i, item in enumerate(value)]
    return value


def _quoted(text: str) -> str:
    """A form-data parameter value, escaped as browsers do (WHATWG's multipart encoding)."""
    return text.replace("\r", "%0D").replace("\n", "%0A").replace('"', "%22")


def multipart_body(
    payload: Mapping[str, Any], uploads: Uploads, upload_variables: frozenset[str]
) -> MultipartBody:
    """The subgraph request: `payload` (query, variables, operationName) with its files."""
    variables = dict(payload["variables"])
    found: dict[FilePart, list[str]] = {}
    for name in upload_variables:
        if name in variables:
            variables[name] = _strip_files(variables[name], f"variables.{name}", found)
    operations = orjson.dumps({**payload, "variables": variables})
    files = list(found)
    files_map = orjson.dumps({str(i): found[f] for i, f in enumerate(files)})
    boundary = "mosaic-" + os.urandom(12).hex()
    dash = f"--{boundary}\r\n".encode()
    segments: list[Segment] = [
        dash + b'content-disposition: form-data; name="operations"\r\n'
        b"content-type: application/json\r\n\r\n" + operations + b"\r\n",
        dash + b'content-disposition: form-data; name="map"\r\n'
        b"content-type: application/json\r\n\r\n" + files_map + b"\r\n",
    ]
    for i, part in enumerate(files):
        filename = _quoted(part.filename or part.key)
        content_type = part.content_type or "application/octet-stream"
        head = (
            f'{dash.decode()}content-disposition: form-data; name="{i}"; filename="{filename}"'
            f"\r\ncontent-type: {_quoted(content_type)}\r\n\r\n"
        )
        segments += [head.encode("utf-8"), part, b"\r\n"]
    segments.append(f"--{boundary}--\r\n".encode())
    length = sum(s.size if isinstance(s, FilePart) else len(s) for s in segments)
    return MultipartBody(
        f"multipart/form-data; boundary={boundary}", tuple(segments), length, uploads.spool
    )
