"""Check a gateway's answer against the reference answer."""

from __future__ import annotations

import json
from typing import Any


def response_problem(status: int, body: bytes, expected: dict[str, Any]) -> str | None:
    """Why this HTTP answer is not the reference answer, or None when it is.

    Objects compare regardless of key order; lists compare in order (GraphQL lists are ordered).
    """
    if status != 200:
        return f"HTTP status {status}: {body[:300]!r}"
    try:
        document = json.loads(body)
    except ValueError:
        return f"not JSON: {body[:300]!r}"
    if not isinstance(document, dict):
        return "not a JSON object"
    if document.get("errors"):
        return f"errors: {json.dumps(document['errors'])[:500]}"
    if document.get("data") != expected.get("data"):
        return "data differs from the reference: " + first_difference(
            document.get("data"), expected.get("data")
        )
    return None


def first_difference(actual: Any, expected: Any, path: str = "data") -> str:
    """The path of the first place where actual and expected differ, with both values."""
    if isinstance(actual, dict) and isinstance(expected, dict):
        for key in expected.keys() | actual.keys():
            if key not in actual:
                return f"{path}.{key} missing"
            if key not in expected:
                return f"{path}.{key} unexpected"
            if actual[key] != expected[key]:
                return first_difference(actual[key], expected[key], f"{path}.{key}")
    if isinstance(actual, list) and isinstance(expected, list):
        if len(actual) != len(expected):
            return f"{path}: {len(actual)} items, expected {len(expected)}"
        for index, (a, e) in enumerate(zip(actual, expected, strict=True)):
            if a != e:
                return first_difference(a, e, f"{path}[{index}]")
    return f"{path}: {json.dumps(actual)[:200]} != {json.dumps(expected)[:200]}"
