"""The overhead benchmark: one small query that one subgraph answers, sent straight to the
subgraph and through each gateway at low concurrency; the gateway's added latency. Two subgraphs:

- `products`: the public gateways benchmark's Node products subgraph (bench/federation/subgraphs)
  answering from memory in ~0.2 ms, without its response memo (cached parse, validation,
  execution): the router's bare cost next to a trivial subgraph;
- `catalog`: Mosaic's own catalog subgraph (Python) reading PostgreSQL (bench/overhead/catalog.py):
  the router in front of a subgraph doing real database work.

`python -m bench.overhead.run` (from the repository root; `make bench` runs it). Settings are
BENCH_* variables (bench/harness/env.py; BENCH_OVERHEAD_VUS, default 1; BENCH_OVERHEAD_TARGETS,
default products,catalog); results go to bench/results/<date>-overhead.md.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bench.federation.gateways import BENCH_DIR, SUBGRAPHS_DIR, launch
from bench.federation.run import Subgraphs, compose, wait_graphql
from bench.harness.compare import response_problem
from bench.harness.env import BenchSettings, load_averages, machine_description, read_settings
from bench.harness.k6 import LoadResult, run_load
from bench.harness.procs import Process, UsageMeter, free_port, post_json
from bench.overhead import catalog

QUERY_FILE = Path(__file__).resolve().parent / "query.graphql"


@dataclass(frozen=True)
class OverheadRow:
    target: str
    result: LoadResult | None
    problem: str | None
    cpu_ms_per_request: float | None = None  # the target process tree's CPU per request


@dataclass(frozen=True)
class Pair:
    """One subgraph measured straight and through each gateway."""

    subgraph: str
    description: str
    rows: list[OverheadRow]


def measure(
    target: str,
    url: str,
    settings: BenchSettings,
    vus: int,
    body_file: Path,
    expected_file: Path,
    work: Path,
    pid: int,
) -> tuple[LoadResult, float]:
    """The load result and the CPU milliseconds per request of process `pid`'s tree."""

    def load(duration: str, summary: str) -> LoadResult:
        return run_load(
            endpoint=url,
            body_file=body_file,
            expected_file=expected_file,
            vus=vus,
            duration=duration,
            summary_file=work / f"{target}-{summary}",
            log_file=work / f"{target}-k6.log",
            cpus=settings.loadgen_cpus,
        )

    load(settings.warmup, "warmup.json")
    meter = UsageMeter(pid)
    meter.start()
    result = load(settings.duration, "summary.json")
    usage = meter.stop()
    return result, 1000.0 * usage.cpu_seconds / max(result.requests, 1)


def measure_pair(
    *,
    settings: BenchSettings,
    vus: int,
    work: Path,
    body: bytes,
    direct_url: str,
    direct_pid: int,
    supergraph: Path,
    subgraph_urls: Mapping[str, str],
    schema_dir: Path,
) -> list[OverheadRow]:
    """`direct` (the subgraph itself), then each gateway in plain mode, on one query."""
    work.mkdir(parents=True, exist_ok=True)
    body_file = work / "body.json"
    body_file.write_bytes(body)
    status, answer = post_json(direct_url, body)
    document = json.loads(answer)
    if status != 200 or document.get("errors"):
        raise RuntimeError(f"the subgraph did not answer cleanly: {answer[:300]!r}")
    expected = {"data": document["data"]}
    expected_file = work / "expected.json"
    expected_file.write_text(json.dumps(expected))
    print("  direct", flush=True)
    direct, direct_cpu = measure(
        "direct", direct_url, settings, vus, body_file, expected_file, work, direct_pid
    )
    rows = [OverheadRow("direct", direct, None, direct_cpu)]
    # One client at a time: more worker processes change nothing here (mosaic-wN skipped).
    for name in (gateway for gateway in settings.gateways if not gateway.startswith("mosaic-w")):
        port = free_port()
        spec = launch(
            name,
            "plain",
            supergraph=supergraph,
            port=port,
            subgraph_urls=subgraph_urls,
            work_dir=work / name,
            mosaic_workers=settings.mosaic_workers,
            schema_dir=schema_dir,
        )
        url = f"http://127.0.0.1:{port}/graphql"
        process = Process(
            name,
            spec.argv,
            log_path=work / name / "gateway.log",
            cwd=spec.cwd,
            env=spec.env,
            cpus=settings.gateway_cpus,
        )
        print(f"  {name}", flush=True)
        try:
            wait_graphql(url, process)
            problem = response_problem(*post_json(url, body), expected)
            if problem:
                rows.append(OverheadRow(name, None, problem))
                continue
            result, cpu = measure(
                name, url, settings, vus, body_file, expected_file, work, process.pid
            )
            wrong = None if result.all_correct else f"{result.failed_checks} failed checks"
            rows.append(OverheadRow(name, result, wrong, cpu))
        except RuntimeError as error:
            rows.append(OverheadRow(name, None, str(error).replace("\n", " ")[-300:]))
        finally:
            process.stop()
        time.sleep(1)
    return rows


def products_pair(settings: BenchSettings, vus: int, work: Path) -> Pair:
    body = json.dumps({"query": QUERY_FILE.read_text(), "operationName": "Overhead"}).encode()
    subgraphs = Subgraphs(work, settings.subgraph_cpus, memo=False)
    try:
        supergraph = work / "supergraph.graphql"
        compose(subgraphs.urls, supergraph)
        rows = measure_pair(
            settings=settings,
            vus=vus,
            work=work / "products",
            body=body,
            direct_url=subgraphs.urls["products"],
            direct_pid=subgraphs.processes["products"].pid,
            supergraph=supergraph,
            subgraph_urls=subgraphs.urls,
            schema_dir=SUBGRAPHS_DIR,
        )
    finally:
        subgraphs.stop()
    description = (
        "`topProducts(first: 5) { upc name price weight }` (bench/overhead/query.graphql) on the"
        " public benchmark's Node products subgraph (in-memory data, no response memo)"
    )
    return Pair("products", description, rows)


def catalog_pair(settings: BenchSettings, vus: int, work: Path) -> Pair:
    with catalog.catalog_subgraph(work / "catalog", settings.subgraph_cpus) as target:
        rows = measure_pair(
            settings=settings,
            vus=vus,
            work=work / "catalog",
            body=catalog.request_body(),
            direct_url=target.url,
            direct_pid=target.process.pid,
            supergraph=target.supergraph,
            subgraph_urls={catalog.SUBGRAPH: target.url},
            schema_dir=target.sdl_dir,
        )
    description = (
        "`products(first: 10)` with price and stock (bench/overhead/catalog.graphql) on Mosaic's"
        " catalog subgraph (Python, Strawberry, SQLAlchemy) reading a seeded PostgreSQL"
    )
    return Pair("catalog", description, rows)


def pair_table(pair: Pair) -> list[str]:
    rows = pair.rows
    direct = next((row.result for row in rows if row.target == "direct" and row.result), None)
    lines = [
        "| target | RPS | p50 ms | p99 ms | added p50 ms | added p99 ms | p50 / direct p50"
        " | CPU ms/request | failed checks | problem |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        if row.result is None:
            lines.append(f"| {row.target} | – | – | – | – | – | – | – | – | {row.problem} |")
            continue
        r = row.result
        if direct is not None and row.target != "direct":
            added50 = f"{r.p50_ms - direct.p50_ms:.2f}"
            added99 = f"{r.p99_ms - direct.p99_ms:.2f}"
            times = f"{r.p50_ms / direct.p50_ms:.2f}×" if direct.p50_ms else "–"
        else:
            added50 = added99 = times = "–"
        lines.append(
            f"| {row.target} | {r.rps:.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {added50} |"
            f" {added99} | {times} | {row.cpu_ms_per_request or 0:.2f} | {r.failed_checks}"
            f" | {row.problem or 'none'} |"
        )
    return lines


def render(settings: BenchSettings, vus: int, pairs: list[Pair], started: dt.datetime) -> str:
    lines = [
        f"# Overhead benchmark, {started:%Y-%m-%d %H:%M} UTC",
        "",
        "One small query that one subgraph answers alone, sent straight to the subgraph",
        "(`direct`) and through each gateway (plain mode settings), for two subgraphs: the",
        "public benchmark's trivial Node `products` subgraph, and Mosaic's `catalog` subgraph",
        "reading PostgreSQL. The issue's target (the router adds at most 30 % at p50) is",
        "the `p50 / direct p50` column: ≤ 1.30×.",
        "",
        f"- Machine: {machine_description()}; load average at start {load_averages()}.",
        f"- Load: {vus} VU(s), {settings.duration} measured after a {settings.warmup} warm-up.",
        f"- Pinning (taskset): gateway on CPU {settings.gateway_cpus}, k6 on CPU"
        f" {settings.loadgen_cpus}, subgraphs on CPU {settings.subgraph_cpus} (PostgreSQL"
        " unpinned).",
        "",
        "CPU ms/request is the target's own process tree (the gateway alone, not the subgraph",
        "behind it; for `direct`, the subgraph): the cost least disturbed by other load.",
        "",
    ]
    for pair in pairs:
        lines += [f"## Subgraph: {pair.subgraph}", "", pair.description + ".", ""]
        lines += pair_table(pair)
        lines.append("")
    return "\n".join(lines)


PAIRS = {"products": products_pair, "catalog": catalog_pair}


def main() -> int:
    settings = read_settings(BENCH_DIR)
    vus = int(os.environ.get("BENCH_OVERHEAD_VUS", "1"))
    wanted = os.environ.get("BENCH_OVERHEAD_TARGETS", "products,catalog").split(",")
    started = dt.datetime.now(dt.UTC)
    work = settings.work_dir / f"overhead-{started:%Y%m%d-%H%M%S}"
    work.mkdir(parents=True, exist_ok=True)
    settings.results_dir.mkdir(parents=True, exist_ok=True)
    print(f"overhead benchmark; logs in {work}", flush=True)
    pairs: list[Pair] = []
    for name in (item.strip() for item in wanted if item.strip()):
        print(f" subgraph {name}", flush=True)
        try:
            pairs.append(PAIRS[name](settings, vus, work))
        except (RuntimeError, OSError, subprocess.SubprocessError) as error:
            problem = str(error).replace("\n", " ")[-300:]
            pairs.append(Pair(name, "not measured", [OverheadRow("direct", None, problem)]))
    report = render(settings, vus, pairs, started)
    out = settings.results_dir / f"{started:%Y-%m-%d}-overhead.md"
    out.write_text(report)
    print(report)
    print(f"written to {out}")
    problems = [row.problem for pair in pairs for row in pair.rows if row.problem]
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
