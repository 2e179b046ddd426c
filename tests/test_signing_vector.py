"""The router signs (router/executor/signing.py) and subgraphs verify
(subgraphs/common/signing.py) one format: both halves agree with one test vector."""

from __future__ import annotations

import hashlib
import hmac

from router.executor.signing import signature as router_signature
from router.executor.signing import streamed_signature
from subgraphs.common.signing import signature as subgraph_signature
from subgraphs.common.signing import streamed_signature as subgraph_streamed_signature

KEY = b"k" * 32
BODY = b'{"query":"{ _entities(representations: []) { __typename } }"}'
MESSAGE = b"POST\n/graphql\n1700000000\nabc1\n" + BODY
EXPECTED = hmac.new(KEY, MESSAGE, hashlib.sha256).hexdigest()


def test_router_and_subgraphs_sign_the_same_message() -> None:
    assert router_signature(KEY, "POST", "/graphql", 1700000000, "abc1", BODY) == EXPECTED
    assert subgraph_signature(KEY, "POST", "/graphql", 1700000000, "abc1", BODY) == EXPECTED
    # Every covered part changes the signature.
    for changed in (
        router_signature(KEY, "GET", "/graphql", 1700000000, "abc1", BODY),
        router_signature(KEY, "POST", "/other", 1700000000, "abc1", BODY),
        router_signature(KEY, "POST", "/graphql", 1700000001, "abc1", BODY),
        router_signature(KEY, "POST", "/graphql", 1700000000, "abc2", BODY),
        router_signature(KEY, "POST", "/graphql", 1700000000, "abc1", BODY + b" "),
    ):
        assert changed != EXPECTED


def test_a_body_signed_in_chunks_signs_the_same_message() -> None:
    """Uploads are signed while read from disk in pieces (router/executor/upload.py) and
    checked the same way (subgraphs/common/signing.py spools them)."""
    chunks = [BODY[:7], b"", BODY[7:30], BODY[30:]]
    assert streamed_signature(KEY, "POST", "/graphql", 1700000000, "abc1", chunks) == EXPECTED
    assert (
        subgraph_streamed_signature(KEY, "POST", "/graphql", 1700000000, "abc1", chunks) == EXPECTED
    )
