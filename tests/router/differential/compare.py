"""Compare the system under test's response with the reference gateway's.

What must agree:
- `data`, value for value and in the same field order (a missing `data` counts as null);
- whether there are errors at all;
- for errors that carry a `path` (execution errors, usually a subgraph's): the set of paths and,
  per path, the `extensions.code`s. Messages, locations and other extensions may differ.
"""

from __future__ import annotations

import difflib
import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Response:
    status: int
    body: Any  # the decoded JSON, or None when it was not JSON
    text: str

    @property
    def data(self) -> Any:
        return self.body.get("data") if isinstance(self.body, dict) else None

    @property
    def errors(self) -> list[dict[str, Any]]:
        errors = self.body.get("errors") if isinstance(self.body, dict) else None
        return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


def _ordered(value: Any) -> Any:
    """A form whose equality also checks the order of object keys."""
    if isinstance(value, dict):
        return [(k, _ordered(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_ordered(v) for v in value]
    return value


def error_codes_by_path(response: Response) -> dict[tuple[str | int, ...], set[str]]:
    found: dict[tuple[str | int, ...], set[str]] = defaultdict(set)
    for error in response.errors:
        path = error.get("path")
        if not isinstance(path, list) or not path:
            continue
        extensions = error.get("extensions")
        code = extensions.get("code") if isinstance(extensions, dict) else None
        found[tuple(path)].add(str(code) if code is not None else "<no code>")
    return dict(found)


def compare(reference: Response, candidate: Response, error_paths: bool = True) -> list[str]:
    """Every way `candidate` disagrees with `reference` (empty when they agree)."""
    if not isinstance(candidate.body, dict):
        return [f"not a JSON object (HTTP {candidate.status}): {candidate.text[:300]!r}"]
    problems = []
    if reference.data != candidate.data:
        problems.append("data differs")
    elif _ordered(reference.data) != _ordered(candidate.data):
        problems.append("data has the same values but a different field order")
    if bool(reference.errors) != bool(candidate.errors):
        problems.append(
            f"errors: reference has {len(reference.errors)}, candidate has {len(candidate.errors)}"
        )
    elif error_paths:
        ref_paths = error_codes_by_path(reference)
        cand_paths = error_codes_by_path(candidate)
        if set(ref_paths) != set(cand_paths):
            problems.append(
                f"error paths differ: only reference {sorted(set(ref_paths) - set(cand_paths))}, "
                f"only candidate {sorted(set(cand_paths) - set(ref_paths))}"
            )
        else:
            for path, codes in ref_paths.items():
                if codes != cand_paths[path]:
                    problems.append(
                        f"error codes at {list(path)}: reference {sorted(codes)}, "
                        f"candidate {sorted(cand_paths[path])}"
                    )
    return problems


def pretty(response: Response) -> str:
    if isinstance(response.body, dict):
        return json.dumps(response.body, indent=2, ensure_ascii=False)
    return f"HTTP {response.status}: {response.text[:2000]}"


def diff(reference: Response, candidate: Response) -> str:
    return "\n".join(
        difflib.unified_diff(
            pretty(reference).splitlines(),
            pretty(candidate).splitlines(),
            "reference",
            "candidate",
            lineterm="",
            n=3,
        )
    )
