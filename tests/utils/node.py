"""Running a Node script of the real npm clients (tests/peers): JSON arguments in, its last
line of output (one JSON object) back."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any


async def run_node(
    script: Path, args: dict[str, Any], *, within: float, cwd: Path | None = None
) -> dict[str, Any]:
    """`node script '<args as JSON>'`, given `within` seconds; the JSON object on its last
    line of output (the test asserts what it says: a failing script reports `ok: false`)."""
    process = await asyncio.create_subprocess_exec(
        "node", str(script), json.dumps(args),
        cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), within)
    lines = stdout.decode().strip().splitlines()
    assert lines, stderr.decode()
    result: dict[str, Any] = json.loads(lines[-1])
    return result
