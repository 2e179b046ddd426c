"""Regenerate expected.json of fixture cases from @apollo/gateway (the reference), and plan.txt
from Mosaic's planner. Run by hand after adding a case; review the diff before committing:

    .venv/bin/python tests/router/regen_expected.py [CASE ...]

A case with `expected.keep` keeps its hand-written expected.json (where Apollo and Mosaic
disagree on purpose; the file says why).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from graphql import parse

from router.planner import build_plan, normalize
from router.supergraph import load_supergraph
from tests.router.canned import CannedServer, load_case_subgraphs
from tests.router.test_cases import CASES, SCHEMAS, case_data

HERE = Path(__file__).parent


def _clean(body: dict[str, Any]) -> dict[str, Any]:
    """Keep what the fixture compares: data, errors (message, path, code), valueCompletion."""
    out: dict[str, Any] = {}
    if body.get("errors"):
        out["errors"] = body["errors"]
    out["data"] = body.get("data")
    return out


async def main(names: list[str]) -> None:
    cases = [c for c in CASES if not names or c.name in names]
    server = CannedServer()
    for case in cases:
        data = case_data(case)
        for name, sdl in load_case_subgraphs(case, SCHEMAS).items():
            server.add(case.name, name, sdl, data.get(name, {}))
    await server.start()
    try:
        items = []
        for case in cases:
            request = (
                json.loads((case / "request.json").read_text())
                if (case / "request.json").exists()
                else {}
            )
            sdl = (case / "supergraph.graphql").read_text()
            supergraph = load_supergraph(sdl)
            query = (case / "query.graphql").read_text()
            op = normalize(supergraph.schema, parse(query), request.get("operationName"))
            plan = build_plan(supergraph, op, frozenset(request.get("labels", [])))
            (case / "plan.txt").write_text(plan.pretty() + "\n")
            items.append(
                {
                    "id": case.name,
                    "supergraph": sdl.replace(
                        "http://subgraphs/", f"http://127.0.0.1:{server.port}/{case.name}/"
                    ),
                    "query": query,
                    "variables": request.get("variables"),
                    "operationName": request.get("operationName"),
                }
            )
        proc = await asyncio.create_subprocess_exec(
            "node", str(HERE / "gateway_oracle.mjs"),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        )  # fmt: skip
        stdout, _ = await proc.communicate(json.dumps(items).encode())
        results = json.loads(stdout)
        for case in cases:
            result = results[case.name]
            if (case / "expected.keep").exists():
                print(f"{case.name}: kept (expected.keep); apollo said {json.dumps(result)[:300]}")
                continue
            if "error" in result:
                print(f"{case.name}: gateway failed: {result['error']}")
                continue
            body = _clean(result["body"])
            (case / "expected.json").write_text(json.dumps(body, indent=2) + "\n")
            print(f"{case.name}: {json.dumps(body)[:160]}")
    finally:
        await server.stop()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
