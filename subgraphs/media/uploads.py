"""Reading a multipart upload (Starlette's `UploadFile`, spooled to disk by the parser) into
memory, refusing it as soon as it passes the size limit."""

from __future__ import annotations

from typing import Any

from subgraphs.media.service import Incoming, MediaRefused

CHUNK = 256 * 1024


async def read_upload(upload: Any, limit: int, index: int | None = None) -> Incoming:
    filename = str(getattr(upload, "filename", None) or "upload")
    chunks: list[bytes] = []
    size = 0
    while chunk := await upload.read(CHUNK):
        size += len(chunk)
        if size > limit:
            where = {} if index is None else {"index": index}
            raise MediaRefused(
                "PAYLOAD_TOO_LARGE",
                f"{filename}: files may be at most {limit} bytes",
                limit=limit,
                **where,
            )
        chunks.append(chunk)
    return Incoming(filename, b"".join(chunks))
