"""Regenerate fixture expectations: expected.json from @apollo/gateway (the reference) and
plan.txt from Mosaic's planner, and report where Mosaic's response differs from Apollo's.
Run by hand after adding or changing a case; review the diff before committing:

    .venv/bin/python -m tests.router.regen_expected [CASE ...]

A case with an `expected.keep` file keeps its hand-written expected.json (Apollo and Mosaic
disagree there on purpose, or the gateway lacks the feature; the file says why).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.router.canned import CannedServer, case_supergraph, load_case_subgraphs
from tests.router.test_cases import CASES, SCHEMAS, case_data, comparable, run_case

HERE = Path(__file__).parent


def _clean(body: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if body.get("errors"):
        out["errors"] = [
            {k: v for k, v in e.items() if k in ("message", "path", "extensions")}
            for e in body["errors"]
        ]
        for error in out["errors"]:  # the gateway's copy of the HTTP response names a free port
            error.get("extensions", {}).pop("response", None)
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
        mine: dict[str, dict[str, Any]] = {}
        for case in cases:
            with tempfile.TemporaryDirectory() as tmp:
                _, body, plan = await run_case(case, server.port, Path(tmp))
            mine[case.name] = body
            (case / "plan.txt").write_text(plan.strip() + "\n" if plan else "")
            request = (
                json.loads((case / "request.json").read_text())
                if (case / "request.json").exists()
                else {}
            )
            sdl = case_supergraph(case).read_text()
            items.append(
                {
                    "id": case.name,
                    "supergraph": sdl.replace(
                        "http://subgraphs/", f"http://127.0.0.1:{server.port}/{case.name}/"
                    ),
                    "query": (case / "query.graphql").read_text(),
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
            if "error" in result:
                print(f"{case.name}: GATEWAY FAILED: {result['error']}")
                continue
            body = _clean(result["body"])
            if (case / "expected.keep").exists():
                if comparable(body) != comparable(mine[case.name]):
                    print(f"{case.name}: kept; apollo differs: {json.dumps(body)[:300]}")
                continue
            (case / "expected.json").write_text(json.dumps(body, indent=2) + "\n")
            if comparable(body) != comparable(mine[case.name]):
                print(f"{case.name}: DIFFERS\n  apollo: {json.dumps(body)[:600]}")
                print(f"  mosaic: {json.dumps(mine[case.name])[:600]}")
    finally:
        await server.stop()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
