"""Signing subgraph requests (upstream trust): HMAC-SHA256 over method, path, timestamp, a
nonce and the body, sent as `x-mosaic-signature: v1,t=<unix seconds>,n=<nonce>,s=<hex>`.

Subgraphs verify it (subgraphs/common/signing.py, the other half of this format; one shared
test vector in tests/test_signing_vector.py keeps the two in step) and, in production, refuse
unsigned, stale or replayed requests, so nobody reaches `_entities` around the router.
The nonce is a per-process random prefix plus a counter: unique without a syscall per request.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import os
import time
from collections.abc import Iterable

HEADER = "x-mosaic-signature"


def _head(method: str, path: str, timestamp: int, nonce: str) -> bytes:
    """What the HMAC covers before the body."""
    return b"%s\n%s\n%d\n%s\n" % (method.encode(), path.encode(), timestamp, nonce.encode())


def signature(key: bytes, method: str, path: str, timestamp: int, nonce: str, body: bytes) -> str:
    return hmac.new(key, _head(method, path, timestamp, nonce) + body, hashlib.sha256).hexdigest()


def streamed_signature(
    key: bytes, method: str, path: str, timestamp: int, nonce: str, chunks: Iterable[bytes]
) -> str:
    """`signature` of the concatenated chunks, without ever holding the whole body."""
    mac = hmac.new(key, _head(method, path, timestamp, nonce), hashlib.sha256)
    for chunk in chunks:
        mac.update(chunk)
    return mac.hexdigest()


class Signer:
    def __init__(self, key: str) -> None:
        self.key = key.encode()
        self._prefix = os.urandom(6).hex()
        self._counter = itertools.count()

    def header(self, method: str, path: str, body: bytes) -> tuple[str, str]:
        timestamp = int(time.time())
        nonce = f"{self._prefix}{next(self._counter):x}"
        value = signature(self.key, method, path, timestamp, nonce, body)
        return HEADER, f"v1,t={timestamp},n={nonce},s={value}"

    def streamed_header(self, method: str, path: str, chunks: Iterable[bytes]) -> tuple[str, str]:
        """`header` for a body read as chunks (a multipart upload streamed from disk)."""
        timestamp = int(time.time())
        nonce = f"{self._prefix}{next(self._counter):x}"
        value = streamed_signature(self.key, method, path, timestamp, nonce, chunks)
        return HEADER, f"v1,t={timestamp},n={nonce},s={value}"
