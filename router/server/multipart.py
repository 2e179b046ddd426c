"""Reading a GraphQL multipart request (https://github.com/jaydenseric/graphql-multipart-request-spec)
from ASGI as it arrives: `operations`, then `map`, then the files, in that order.

python-multipart's push parser (Starlette's own dependency) does the parsing; this module only
enforces the spec's order and the limits while the bytes stream in. The two JSON fields are held
(at most MOSAIC_ROUTER_MAX_BODY_BYTES each); the files go back to back into one spooled temporary
file per request, in memory up to SPOOL_MEMORY_BYTES and on disk past it, so a 10 MB file never
sits in the router's memory. A file over the limit is refused the moment it passes it.

Reading stops after `map` (`head`), so the router can check the operation (plan it, see which
subgraph gets the files) before it accepts a single file byte; `files` reads the rest.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, Any

import orjson
from python_multipart.multipart import MultipartParseError, MultipartParser, parse_options_header
from starlette.types import Receive

from router.executor.upload import FilePart
from router.pipeline.uploads import UploadRefused, bad_request

# What one request may keep in memory before its files go to disk: small uploads (avatars,
# thumbnails) never touch the disk; a large one costs this much memory at most.
SPOOL_MEMORY_BYTES = 1024 * 1024
FIELDS = ("operations", "map")


class Disconnected(UploadRefused):
    """The client went away before its request was complete (nobody reads the answer)."""

    def __init__(self) -> None:
        super().__init__("The client disconnected during the upload.", "BAD_REQUEST", 400)


@dataclass(frozen=True, slots=True)
class UploadLimits:
    max_field_bytes: int  # `operations` and `map` each (MOSAIC_ROUTER_MAX_BODY_BYTES; 0: none)
    max_file_bytes: int
    max_files: int


class MultipartForm:
    """One client's multipart request, read on demand from `receive`."""

    def __init__(self, receive: Receive, content_type: bytes, limits: UploadLimits) -> None:
        _, options = parse_options_header(content_type)
        boundary = options.get(b"boundary")
        self.receive = receive
        self.limits = limits
        self.parser = None if not boundary else MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begin,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
                "on_end": self._end,
            },
        )  # fmt: skip
        self.spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES)
        self.received_all = False  # the client sent its whole body
        self.ended = False  # the closing boundary was parsed
        self.fields: dict[str, bytes] = {}
        self.map: Mapping[str, Any] = {}
        self.files: dict[str, FilePart] = {}
        self.parts = 0
        # The part being parsed.
        self._field_name = b""  # of the header being parsed
        self._field_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._name = ""
        self._filename = ""
        self._content_type = ""
        self._field: bytearray | None = None
        self._offset = 0
        self._size = 0

    async def head(self) -> tuple[Any, Mapping[str, Any]]:
        """`operations` (parsed JSON) and `map`, read before any file byte is accepted."""
        if self.parser is None:
            raise bad_request("A multipart/form-data request needs a boundary in its Content-Type.")
        while "map" not in self.fields and not self.ended:
            await self._feed()
        if "operations" not in self.fields:
            raise bad_request("The multipart request has no `operations` field (it comes first).")
        if "map" not in self.fields:
            raise bad_request("The multipart request has no `map` field (it comes second).")
        try:
            operations = orjson.loads(self.fields["operations"])
        except orjson.JSONDecodeError:
            raise bad_request("The `operations` field is not valid JSON.") from None
        if isinstance(operations, list):
            raise bad_request("Batched operations are not supported in multipart requests.")
        return operations, self.map

    def _parse_map(self, raw: bytes) -> None:
        try:
            files_map = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise bad_request("The `map` field is not valid JSON.") from None
        if not isinstance(files_map, dict) or not all(
            isinstance(paths, list) and paths and all(isinstance(p, str) for p in paths)
            for paths in files_map.values()
        ):
            raise bad_request(
                "The `map` field must be a JSON object of file keys to lists of paths."
            )
        if len(files_map) > self.limits.max_files:
            raise UploadRefused(
                f"At most {self.limits.max_files} files may be uploaded in one request "
                "(MOSAIC_ROUTER_UPLOAD_MAX_FILES).",
                "PAYLOAD_TOO_LARGE",
                413,
            )
        self.map = files_map

    async def read_files(self) -> dict[str, FilePart]:
        """Every file of the request, in the spool; each key of `map` has exactly one."""
        while not self.ended:
            await self._feed()
        missing = [key for key in self.map if key not in self.files]
        if missing:
            raise bad_request(f"The request has no file for the map keys {', '.join(missing)}.")
        return self.files

    def close(self) -> None:
        self.spool.close()

    async def _feed(self) -> None:
        if self.received_all:
            raise bad_request("The multipart request ended before its closing boundary.")
        message = await self.receive()
        if message["type"] == "http.disconnect":
            raise Disconnected()
        self.received_all = not message.get("more_body", False)
        chunk = message.get("body", b"")
        if chunk and self.parser is not None:
            try:
                self.parser.write(chunk)
            except MultipartParseError as error:
                raise bad_request(f"The multipart request is malformed: {error}") from None

    # python-multipart callbacks (they run inside `parser.write`; a RequestError raised here
    # propagates out of it and stops reading at once).

    def _part_begin(self) -> None:
        self._headers = {}

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._field_name += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._field_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._field_name.lower()] = self._field_value
        self._field_name = self._field_value = b""

    def _headers_finished(self) -> None:
        disposition, options = parse_options_header(self._headers.get(b"content-disposition"))
        if disposition != b"form-data" or b"name" not in options:
            raise bad_request("Every part of a multipart request needs a form-data name.")
        name = options[b"name"].decode("utf-8", "replace")
        index = self.parts
        self.parts += 1
        if index < len(FIELDS):
            if name != FIELDS[index]:
                raise bad_request(
                    "The parts of a multipart request come in this order: `operations`, `map`, "
                    f"then the files (part {index + 1} is `{name}`, expected `{FIELDS[index]}`)."
                )
            self._field = bytearray()
            return
        if name not in self.map:
            raise bad_request(f"The file part `{name}` is not in the `map`.")
        if name in self.files:
            raise bad_request(f"The file part `{name}` is sent twice.")
        self._field = None
        self._name = name
        self._filename = options.get(b"filename", b"").decode("utf-8", "replace")
        self._content_type = self._headers.get(b"content-type", b"").decode("latin-1")
        self._offset = self.spool.tell()
        self._size = 0

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        field = self._field
        if field is not None:
            field += data[start:end]
            limit = self.limits.max_field_bytes
            if limit and len(field) > limit:
                raise UploadRefused(
                    f"The `{FIELDS[self.parts - 1]}` field is larger than {limit} bytes "
                    "(MOSAIC_ROUTER_MAX_BODY_BYTES).",
                    "PAYLOAD_TOO_LARGE",
                    413,
                )
            return
        self._size += end - start
        if self._size > self.limits.max_file_bytes:
            raise UploadRefused(
                f"The file `{self._filename or self._name}` is larger than "
                f"{self.limits.max_file_bytes} bytes (MOSAIC_ROUTER_UPLOAD_MAX_FILE_BYTES).",
                "PAYLOAD_TOO_LARGE",
                413,
            )
        # A page-cache write of at most one received chunk: cheaper than a thread hop.
        self.spool.write(data[start:end])

    def _part_end(self) -> None:
        field = self._field
        if field is not None:
            name = FIELDS[self.parts - 1]
            self.fields[name] = bytes(field)
            self._field = None
            if name == "map":  # the file parts that follow (maybe in this chunk) need it
                self._parse_map(self.fields[name])
            return
        self.files[self._name] = FilePart(
            self._name, self._filename, self._content_type, self._offset, self._size
        )

    def _end(self) -> None:
        self.ended = True
