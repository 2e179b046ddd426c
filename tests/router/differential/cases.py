"""Differential cases: queries kept in YAML files, hand-written (cases/) and generated (generated/).

A case file is `{supergraph: NAME, cases: [{name, query, variables?, operationName?,
invalid?}]}`. A case's id is `<file stem>/<name>` under its folder, e.g.
`cases/commerce-keys/multiple-keys` or `generated/media/q017`. A case may carry `expected` (a
full response) with `reference_wrong` (why Apollo Gateway's answer is wrong); Mosaic is then
held to `expected` instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
CASE_DIRS = (HERE / "cases", HERE / "generated")
XFAIL_FILE = HERE / "xfail.yaml"
HIVE_FILE = HERE / "hive.yaml"


@dataclass(frozen=True)
class Case:
    id: str
    supergraph: str
    query: str
    variables: dict[str, Any] = field(default_factory=dict)
    operation_name: str | None = None
    # The query is meant to be rejected (validation): both sides must answer with errors only.
    invalid: bool = False
    generated: bool = False
    # Compare error paths and codes (off where they are a matter of taste, e.g. a whole
    # subgraph request failing: Apollo Gateway gives no path, Apollo Router the fetch path).
    error_paths: bool = True
    # Where Apollo Gateway is wrong (DISAGREEMENTS.md): the response Mosaic must give instead,
    # and why. Checked by hand; `data` and error presence are compared against it.
    expected: dict[str, Any] | None = None
    reference_wrong: str | None = None
    # Apollo Gateway cannot answer at all (its planner does not finish): only `expected` counts.
    skip_reference: bool = False

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"query": self.query}
        if self.variables:
            body["variables"] = self.variables
        if self.operation_name:
            body["operationName"] = self.operation_name
        return body


def load_file(path: Path) -> list[Case]:
    doc = yaml.safe_load(path.read_text())
    folder = path.parent.name
    supergraph = doc["supergraph"]
    cases = []
    seen: set[str] = set()
    for raw in doc["cases"]:
        name = str(raw["name"])
        if name in seen:
            raise ValueError(f"{path}: duplicate case name {name!r}")
        seen.add(name)
        if ("expected" in raw) != ("reference_wrong" in raw):
            raise ValueError(f"{path}: {name}: `expected` and `reference_wrong` go together")
        if raw.get("skip_reference") and "expected" not in raw:
            raise ValueError(f"{path}: {name}: `skip_reference` needs `expected`")
        cases.append(
            Case(
                id=f"{folder}/{path.stem}/{name}",
                supergraph=supergraph,
                query=raw["query"],
                variables=raw.get("variables") or {},
                operation_name=raw.get("operationName"),
                invalid=bool(raw.get("invalid", False)),
                generated=folder == "generated",
                error_paths=bool(raw.get("error_paths", True)),
                expected=raw.get("expected"),
                reference_wrong=raw.get("reference_wrong"),
                skip_reference=bool(raw.get("skip_reference", False)),
            )
        )
    return cases


def load_all() -> list[Case]:
    cases: list[Case] = []
    for directory in CASE_DIRS:
        for path in sorted(directory.glob("*.yaml")):
            cases.extend(load_file(path))
    return cases


def load_xfails(path: Path = XFAIL_FILE) -> dict[str, str]:
    """Case id -> reason, for genuine Mosaic bugs marked xfail(strict=True) one by one."""
    if not path.exists():
        return {}
    doc = yaml.safe_load(path.read_text()) or {}
    return {str(k): str(v) for k, v in doc.items()}


def load_hive_differences() -> dict[str, str]:
    """Case id -> the DISAGREEMENTS.md entry where Hive Gateway differs from the truth."""
    return load_xfails(HIVE_FILE)
