"""Resolving a request's document from `extensions.persistedQuery` (Apollo's APQ protocol) and
from a trusted-documents manifest (Apollo's persisted query list format).

- APQ: a client sends only `{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": H}}}`.
  A known hash is served; an unknown one gets PERSISTED_QUERY_NOT_FOUND, after which the client
  sends the query with its hash, which the router checks and stores (in memory, bounded; or in
  Redis, shared by every replica).
- Manifest: `{"format": "apollo-persisted-query-manifest", "version": 1, "operations":
  [{"id", "name", "type", "body"}]}`, written by `mosaic operations publish FILE`. Its ids are
  served like APQ hashes. In safelist mode a document that is not in the manifest (by id, or a
  full query that is none of its bodies) is refused with PERSISTED_QUERY_NOT_IN_LIST. A full
  query matches a body as Apollo Router matches them: whitespace, commas and comments do not
  count, nor the order of its operations and fragments (`normalized`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    parse,
    print_ast,
)
from redis.exceptions import RedisError

log = logging.getLogger("mosaic.router.persisted")
MANIFEST_FORMAT = "apollo-persisted-query-manifest"
APQ_MEMORY_LIMIT = 10_000
APQ_REDIS_TTL = 24 * 3600


class DocumentError(Exception):
    def __init__(self, message: str, code: str, status: int = 200) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


def sha256(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def normalized(text: str) -> str | None:
    """The document as Apollo Router compares safelisted bodies: its operations, then its
    fragments, each sorted by name, printed (so whitespace, commas and comments do not count;
    the order of fields does). None when it does not parse."""
    try:
        document = parse(text, no_location=True)
    except GraphQLError:
        return None
    definitions = document.definitions
    operations = [d for d in definitions if isinstance(d, OperationDefinitionNode)]
    fragments = [d for d in definitions if isinstance(d, FragmentDefinitionNode)]
    operations.sort(key=lambda d: d.name.value if d.name else "")
    fragments.sort(key=lambda d: d.name.value)
    return print_ast(DocumentNode(definitions=(*operations, *fragments)))


@dataclass(frozen=True)
class Manifest:
    operations: Mapping[str, str]  # id (sha256 of the body) -> body
    names: Mapping[str, str | None]
    normalized: frozenset[str] = frozenset()  # `normalized` of every body that parses
    longest: int = 0  # characters of the longest body

    @classmethod
    def empty(cls) -> Manifest:
        return cls({}, {})

    @classmethod
    def of(cls, operations: Mapping[str, str], names: Mapping[str, str | None]) -> Manifest:
        bodies = {normalized(body) for body in operations.values()}
        longest = max((len(body) for body in operations.values()), default=0)
        return cls(operations, names, frozenset(b for b in bodies if b is not None), longest)

    def lists(self, query: str) -> bool:
        """Whether a full query is one of the manifest's documents (byte for byte, or once
        normalized)."""
        if sha256(query) in self.operations:
            return True
        # Parsing an unlisted document is work an anonymous caller can ask for: a reformatted
        # body is not many times longer than the printed one, so larger ones are not parsed.
        if not self.normalized or len(query) > 8 * self.longest + 1024:
            return False
        return normalized(query) in self.normalized


def read_manifest(path: Path) -> Manifest:
    """Load a manifest file; ValueError says what is wrong with it."""
    try:
        data = json.loads(path.read_text())
    except OSError as error:
        raise ValueError(f"cannot read {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not JSON: {error}") from None
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
        raise ValueError(f'{path} is not a manifest (format must be "{MANIFEST_FORMAT}")')
    operations: dict[str, str] = {}
    names: dict[str, str | None] = {}
    for entry in data.get("operations", []):
        if not isinstance(entry, dict) or not isinstance(entry.get("body"), str):
            raise ValueError(f"{path}: every operation needs a string body")
        body = entry["body"]
        op_id = entry.get("id") or sha256(body)
        if op_id != sha256(body):
            raise ValueError(f"{path}: operation {op_id} is not the SHA-256 of its body")
        operations[op_id] = body
        names[op_id] = entry.get("name")
    return Manifest.of(operations, names)


def write_manifest(path: Path, operations: list[dict[str, Any]]) -> None:
    """Write atomically, so a router re-reading it never sees half a file."""
    text = json.dumps({"format": MANIFEST_FORMAT, "version": 1, "operations": operations}, indent=2)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text + "\n")
    os.replace(temporary, path)


class PersistedDocuments:
    """Turns a request's (query, extensions) into the query text to run."""

    def __init__(
        self,
        apq: bool = True,
        redis_url: str | None = None,
        manifest_path: str | None = None,
        safelist: bool = False,
    ) -> None:
        self.apq = apq
        self.safelist = safelist
        self.manifest_path = Path(manifest_path) if manifest_path else None
        self.manifest = Manifest.empty()
        self._stamp: tuple[float, int] | None = None
        if self.manifest_path is not None:
            self.reload_manifest()
        self._memory: OrderedDict[str, str] = OrderedDict()
        self.redis: aioredis.Redis | None = None
        if redis_url and apq:
            self.redis = aioredis.Redis.from_url(
                redis_url, socket_timeout=0.5, socket_connect_timeout=0.5
            )

    def reload_manifest(self) -> bool:
        """Re-read the manifest if its file changed (a bad file keeps the previous one)."""
        assert self.manifest_path is not None
        try:
            stat = self.manifest_path.stat()
        except OSError:
            return False
        stamp = (stat.st_mtime, stat.st_size)
        if stamp == self._stamp:
            return False
        self._stamp = stamp
        try:
            self.manifest = read_manifest(self.manifest_path)
        except ValueError as error:
            log.error("persisted documents manifest not loaded: %s", error)
            return False
        log.info("persisted documents manifest: %d operations", len(self.manifest.operations))
        return True

    async def resolve(self, query: str | None, extensions: Any) -> str:
        """The document to run. Raises DocumentError (PERSISTED_QUERY_* codes)."""
        persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
        if persisted is None:
            if query is None:
                raise DocumentError("The request has no query string.", "BAD_REQUEST", 400)
            if self.safelist and not self.manifest.lists(query):
                raise DocumentError(
                    "This operation is not in the trusted documents list.",
                    "PERSISTED_QUERY_NOT_IN_LIST",
                    400,
                )
            return query
        if not isinstance(persisted, dict) or persisted.get("version") != 1:
            raise DocumentError(
                "Unsupported persisted query version (only 1).",
                "PERSISTED_QUERY_VERSION_NOT_SUPPORTED",
                400,
            )
        digest = persisted.get("sha256Hash")
        if not isinstance(digest, str) or not digest:
            raise DocumentError("persistedQuery needs a sha256Hash.", "BAD_REQUEST", 400)
        known = self.manifest.operations.get(digest)
        if known is not None:
            if query is not None and query != known:
                raise DocumentError(
                    "provided sha does not match query", "PERSISTED_QUERY_HASH_MISMATCH", 400
                )
            return known
        if self.safelist:
            raise DocumentError(
                f"Persisted query {digest} is not in the trusted documents list.",
                "PERSISTED_QUERY_NOT_IN_LIST",
                400,
            )
        if not self.apq:
            raise DocumentError("PersistedQueryNotSupported", "PERSISTED_QUERY_NOT_SUPPORTED", 400)
        if query is None:
            stored = await self._get(digest)
            if stored is None:
                # 200 with this code: Apollo Client's link then sends the query with the hash.
                raise DocumentError("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
            return stored
        if sha256(query) != digest:
            raise DocumentError(
                "provided sha does not match query", "PERSISTED_QUERY_HASH_MISMATCH", 400
            )
        await self._put(digest, query)
        return query

    async def _get(self, digest: str) -> str | None:
        stored = self._memory.get(digest)
        if stored is not None:
            self._memory.move_to_end(digest)
            return stored
        if self.redis is None:
            return None
        try:
            raw = await self.redis.get(f"mosaic:apq:{digest}")
        except (RedisError, OSError) as error:
            log.warning("APQ store unreachable: %s", error)
            return None  # the client then sends the full query: slower, never wrong
        if raw is None:
            return None
        text = raw.decode() if isinstance(raw, bytes) else str(raw)
        self._remember(digest, text)
        return text

    async def _put(self, digest: str, query: str) -> None:
        self._remember(digest, query)
        if self.redis is not None:
            try:
                await self.redis.set(f"mosaic:apq:{digest}", query, ex=APQ_REDIS_TTL)
            except (RedisError, OSError) as error:
                log.warning("APQ store unreachable: %s", error)

    def _remember(self, digest: str, query: str) -> None:
        self._memory[digest] = query
        if len(self._memory) > APQ_MEMORY_LIMIT:
            self._memory.popitem(last=False)

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()
