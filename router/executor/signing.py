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

HEADER = "x-mosaic-signature"


def signature(key: bytes, method: str, path: str, timestamp: int, nonce: str, body: bytes) -> str:
    message = b"%s\n%s\n%d\n%s\n%s" % (
        method.encode(),
        path.encode(),
        timestamp,
        nonce.encode(),
        body,
    )
    return hmac.new(key, message, hashlib.sha256).hexdigest()


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
