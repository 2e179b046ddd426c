"""Profile Mosaic's router under the federation benchmark's load with py-spy.

`python -m bench.federation.profile` (from the repository root; needs `pip install py-spy`).
Starts the four subgraphs and Mosaic (mode from BENCH_MODES' first entry, default plain), runs
k6 for BENCH_DURATION while py-spy samples the router's process tree, and prints the functions
with the most on-CPU samples, by self time, by total (inclusive) time and by module. The raw
stacks land in bench/.work/profile-<time>/. BENCH_PROFILE_QUERY=overhead profiles the overhead
benchmark's one-subgraph query instead of the deep query.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from bench.federation.gateways import BENCH_DIR, launch
from bench.federation.run import QUERY_FILE, Subgraphs, compose, fetch_reference, wait_graphql
from bench.harness.k6 import LoadResult, run_load
from bench.harness.procs import Process, free_port, post_json, process_tree

LINE_NUMBER = re.compile(r":\d+\)$")


def aggregate(raw: str) -> tuple[Counter[str], Counter[str], int]:
    """Self and inclusive sample counts per function (file, not line) from py-spy raw stacks."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [LINE_NUMBER.sub(")", frame) for frame in stack.split(";")]
        # The first frame names the process/thread; it is not a function.
        frames = [frame for frame in frames[1:] if frame] or frames
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    return own, inclusive, total


def short(frame: str) -> str:
    """`func (path/to/module.py)` with site-packages and the repository prefix cut."""
    for marker in ("site-packages/", str(BENCH_DIR.parent) + "/"):
        if marker in frame:
            head, _, tail = frame.partition(" (")
            return f"{head} ({tail.split(marker, 1)[-1]}"
    return frame


def main() -> int:
    mode = (os.environ.get("BENCH_MODES") or "plain").split(",")[0]
    duration = os.environ.get("BENCH_DURATION", "20s")
    vus = int(os.environ.get("BENCH_VUS", "50"))
    top = int(os.environ.get("BENCH_PROFILE_TOP", "30"))
    started = dt.datetime.now(dt.UTC)
    work = BENCH_DIR / ".work" / f"profile-{started:%Y%m%d-%H%M%S}"
    work.mkdir(parents=True, exist_ok=True)
    py_spy = Path(sys.executable).parent / "py-spy"
    # BENCH_PROFILE_QUERY=overhead profiles the overhead benchmark's small query instead.
    if os.environ.get("BENCH_PROFILE_QUERY") == "overhead":
        query_file, operation = BENCH_DIR / "overhead" / "query.graphql", "Overhead"
    else:
        query_file, operation = QUERY_FILE, "TestQuery"
    body = json.dumps({"query": query_file.read_text(), "operationName": operation}).encode()
    body_file = work / "body.json"
    body_file.write_bytes(body)
    subgraphs = Subgraphs(work, os.environ.get("BENCH_SUBGRAPH_CPUS", "1"))
    try:
        supergraph = work / "supergraph.graphql"
        compose(subgraphs.urls, supergraph)
        from bench.harness.env import read_settings

        settings = read_settings(BENCH_DIR)
        expected = fetch_reference(settings, subgraphs, supergraph, body, work)
        expected_file = work / "expected.json"
        expected_file.write_text(json.dumps(expected))
        port = free_port()
        spec = launch(
            "mosaic",
            mode,
            supergraph=supergraph,
            port=port,
            subgraph_urls=subgraphs.urls,
            work_dir=work / "mosaic",
            mosaic_workers=settings.mosaic_workers,
        )
        url = f"http://127.0.0.1:{port}/graphql"
        router = Process(
            "mosaic",
            spec.argv,
            log_path=work / "mosaic.log",
            cwd=spec.cwd,
            env=spec.env,
            cpus=settings.gateway_cpus,
        )
        try:
            wait_graphql(url, router)
            post_json(url, body)

            def load(length: str, summary: str) -> LoadResult:
                return run_load(
                    endpoint=url,
                    body_file=body_file,
                    expected_file=expected_file,
                    vus=vus,
                    duration=length,
                    summary_file=work / summary,
                    log_file=work / "k6.log",
                    cpus=settings.loadgen_cpus,
                )

            load(settings.warmup, "warmup.json")  # pools filled, caches warm: steady state only
            workers = process_tree(router.pid)
            seconds = int(duration.rstrip("s"))
            raw_file = work / "profile.txt"
            spy_argv = [str(py_spy), "record", "--pid", str(router.pid), "--subprocesses"]
            spy_argv += ["--format", "raw", "--rate", "250", "--duration", str(seconds + 2)]
            spy = subprocess.Popen(
                [*spy_argv, "-o", str(raw_file)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
            )
            time.sleep(1)
            result = load(duration, "summary.json")
            spy.wait(seconds + 60)
        finally:
            router.stop()
    finally:
        subgraphs.stop()
    own, inclusive, total = aggregate(raw_file.read_text())
    print(f"mode {mode}, {vus} VUs, {duration}: {result.rps:.0f} RPS, p50 {result.p50_ms:.1f} ms")
    print(f"processes sampled: {len(workers)}; samples: {total}; raw stacks: {raw_file}")
    by_module: Counter[str] = Counter()
    for frame, count in own.items():
        head, _, tail = short(frame).partition(" (")
        by_module[tail.rstrip(")") or head] += count
    for title, counter in (
        ("self", own),
        ("total (inclusive)", inclusive),
        ("module (self)", by_module),
    ):
        print(f"\ntop {top} by {title} samples:")
        for frame, count in counter.most_common(top):
            print(f"{100 * count / max(total, 1):6.1f}%  {short(frame)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
