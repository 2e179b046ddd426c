"""The federation benchmark: four Node subgraphs, the deep query, each gateway in turn.

`python -m bench.federation.run` (from the repository root; `make bench` runs it). Settings are
BENCH_* variables (bench/harness/env.py); results go to bench/results/<date>-federation.md.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.federation.gateways import (
    BENCH_DIR,
    NODE_MODULES,
    SUBGRAPH_NAMES,
    SUBGRAPHS_DIR,
    launch,
    mosaic_source,
)
from bench.harness.compare import response_problem
from bench.harness.env import (
    BenchSettings,
    gateway_versions,
    load_averages,
    machine_description,
    read_settings,
)
from bench.harness.k6 import LoadResult, run_load
from bench.harness.procs import (
    CoreMeter,
    Process,
    UsageMeter,
    cpu_list,
    free_port,
    get_json_bytes,
    post_json,
    wait_http,
)
from bench.harness.report import GatewayFigures, figures_table, ratios_table, targets_table

FEDERATION_DIR = Path(__file__).resolve().parent
QUERY_FILE = FEDERATION_DIR / "query.graphql"


@dataclass(frozen=True)
class GatewayRun:
    """One gateway in one mode: its figures, or why it could not be measured."""

    mode: str
    gateway: str
    description: str
    figures: GatewayFigures | None
    single_request_fanout: int | None
    problem: str | None
    cores: str = "–"  # how busy each core was during the measured run (see core_usage)


class Subgraphs:
    """The four benchmark subgraphs, each a Node process on its own free port."""

    def __init__(self, work_dir: Path, cpus: str, memo: bool = True) -> None:
        self.processes: dict[str, Process] = {}
        self.urls: dict[str, str] = {}
        self.ports: dict[str, int] = {}
        for name in SUBGRAPH_NAMES:
            port = free_port()
            argv = ["node", str(SUBGRAPHS_DIR / "server.mjs"), name, str(port)]
            if not memo:
                argv.append("--no-memo")
            self.processes[name] = Process(
                f"subgraph {name}", argv, log_path=work_dir / f"subgraph-{name}.log", cpus=cpus
            )
            self.ports[name] = port
            self.urls[name] = f"http://127.0.0.1:{port}/graphql"
        for name, process in self.processes.items():
            wait_http(f"http://127.0.0.1:{self.ports[name]}/health", process)

    def request_counts(self) -> dict[str, int]:
        return {
            name: int(json.loads(get_json_bytes(f"http://127.0.0.1:{port}/stats"))["requests"])
            for name, port in self.ports.items()
        }

    def stop(self) -> None:
        for process in self.processes.values():
            process.stop()


def compose(subgraph_urls: dict[str, str], out: Path) -> None:
    """The supergraph of the four subgraphs, composed by @apollo/composition."""
    pairs = [f"{name}={url}" for name, url in subgraph_urls.items()]
    subprocess.run(
        ["node", str(FEDERATION_DIR / "compose.mjs"), str(out), *pairs],
        check=True,
        cwd=BENCH_DIR,
    )


def wait_graphql(url: str, process: Process, timeout: float = 90.0) -> None:
    """Wait until the gateway answers a trivial query with 200."""
    deadline = time.monotonic() + timeout
    probe = b'{"query":"{ __typename }"}'
    while time.monotonic() < deadline:
        if not process.alive():
            raise RuntimeError(f"{process.name} exited:\n{process.log_tail()}")
        try:
            status, _ = post_json(url, probe, timeout=2)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{process.name} not ready at {url} in {timeout}s:\n{process.log_tail()}")


def fetch_reference(
    settings: BenchSettings, subgraphs: Subgraphs, supergraph: Path, body: bytes, work: Path
) -> dict[str, Any]:
    """The deep query's answer from Apollo Gateway: the data every response must match."""
    port = free_port()
    spec = launch(
        "apollo",
        "plain",
        supergraph=supergraph,
        port=port,
        subgraph_urls=subgraphs.urls,
        work_dir=work / "reference",
    )
    process = Process(
        "reference apollo", spec.argv, log_path=work / "reference.log", cwd=spec.cwd, env=spec.env
    )
    try:
        url = f"http://127.0.0.1:{port}/graphql"
        wait_graphql(url, process)
        status, answer = post_json(url, body)
    finally:
        process.stop()
    document = json.loads(answer)
    if status != 200 or document.get("errors") or not document.get("data"):
        raise RuntimeError(f"the reference answer is not clean: {answer[:500]!r}")
    return {"data": document["data"]}


def measure_gateway(
    name: str,
    mode: str,
    *,
    settings: BenchSettings,
    subgraphs: Subgraphs,
    supergraph: Path,
    body_file: Path,
    expected_file: Path,
    expected: dict[str, Any],
    work: Path,
) -> GatewayRun:
    port = free_port()
    gateway_work = work / f"{mode}-{name}"
    spec = launch(
        name,
        mode,
        supergraph=supergraph,
        port=port,
        subgraph_urls=subgraphs.urls,
        work_dir=gateway_work,
        mosaic_workers=settings.mosaic_workers,
    )
    url = f"http://127.0.0.1:{port}/graphql"
    process = Process(
        name,
        spec.argv,
        log_path=gateway_work / "gateway.log",
        cwd=spec.cwd,
        env=spec.env,
        cpus=settings.gateway_cpus,
    )
    try:
        wait_graphql(url, process)
        before = subgraphs.request_counts()
        status, answer = post_json(url, body_file.read_bytes())
        fanout = sum(subgraphs.request_counts().values()) - sum(before.values())
        problem = response_problem(status, answer, expected)
        if problem:
            return GatewayRun(mode, name, spec.description, None, fanout, problem)

        def load(duration: str, summary: str) -> LoadResult:
            return run_load(
                endpoint=url,
                body_file=body_file,
                expected_file=expected_file,
                vus=settings.vus,
                duration=duration,
                summary_file=gateway_work / summary,
                log_file=gateway_work / "k6.log",
                cpus=settings.loadgen_cpus,
            )

        print(f"  {mode}/{name}: warm-up {settings.warmup}", flush=True)
        load(settings.warmup, "warmup.json")
        counts_before = sum(subgraphs.request_counts().values())
        meter = UsageMeter(process.pid)
        cores = core_meter(settings, subgraphs)
        meter.start()
        cores.start()
        print(f"  {mode}/{name}: measuring {settings.duration}", flush=True)
        result = load(settings.duration, "summary.json")
        usage = meter.stop()
        busy, subgraphs_percent = cores.stop()
        k6_percent = 100.0 * result.loadgen_cpu_seconds / usage.wall_seconds
        wait_percent = 100.0 * usage.wait_seconds / usage.wall_seconds
        core_text = core_usage(busy, subgraphs_percent, k6_percent, wait_percent)
        subgraph_requests = sum(subgraphs.request_counts().values()) - counts_before
    except RuntimeError as error:
        return GatewayRun(mode, name, spec.description, None, None, str(error)[-1500:])
    finally:
        process.stop()
    figures = GatewayFigures(
        gateway=name,
        rps=result.rps,
        p50_ms=result.p50_ms,
        p95_ms=result.p95_ms,
        p99_ms=result.p99_ms,
        cpu_percent=100.0 * usage.cpu_seconds / usage.wall_seconds,
        cpu_ms_per_request=1000.0 * usage.cpu_seconds / max(result.requests, 1),
        peak_rss_mb=usage.peak_rss_bytes / 2**20,
        subgraph_requests_per_request=subgraph_requests / max(result.requests, 1),
        requests=result.requests,
        failed_checks=result.failed_checks,
    )
    problem = None if result.all_correct else f"{result.failed_checks} failed checks"
    return GatewayRun(mode, name, spec.description, figures, fanout, problem, core_text)


def core_meter(settings: BenchSettings, subgraphs: Subgraphs) -> CoreMeter:
    cpus = sorted(set(cpu_list(settings.gateway_cpus)) | set(cpu_list(settings.loadgen_cpus)))
    return CoreMeter(cpus, [process.pid for process in subgraphs.processes.values()])


def core_usage(
    busy: dict[int, float], subgraphs_percent: float, k6_percent: float, wait_percent: float
) -> str:
    """'CPU 0 100 %, CPU 1 98 %; k6 60 %, subgraphs 35 %; gateway waited for a core 24 %':
    every process on each core counts, ours or not; a load-generator core near 100 % means k6
    or the subgraphs held the gateway back; the gateway's wait is the time its main thread(s)
    were ready to run while another process had the core. k6's share is its CPU over the run
    (its start-up included) per measured second."""
    parts = [f"CPU {cpu} {percent:.0f} %" for cpu, percent in sorted(busy.items())]
    return (
        ", ".join(parts)
        + f"; k6 {k6_percent:.0f} %, subgraphs {subgraphs_percent:.0f} %"
        + f"; gateway waited for a core {wait_percent:.0f} %"
    )


def render(
    settings: BenchSettings, runs: list[GatewayRun], reference_bytes: int, started: dt.datetime
) -> str:
    lines = [
        f"# Federation benchmark, {started:%Y-%m-%d %H:%M} UTC",
        "",
        "The public gateways benchmark's method: four Node subgraphs (accounts, products,",
        "inventory, reviews; bench/federation/subgraphs), the deep query through fragments",
        f"(bench/federation/query.graphql; reference answer {reference_bytes / 1024:.0f} KB, from",
        "Apollo Gateway), k6 with every response checked against the reference.",
        "",
        f"- Machine: {machine_description()}; load average at start {load_averages()}.",
        f"- Versions: {gateway_versions(NODE_MODULES, mosaic_source())}.",
        f"- Load: {settings.vus} VUs, {settings.duration} measured after a {settings.warmup}"
        " warm-up, per gateway and mode.",
        f"- Pinning (taskset): gateway on CPU {settings.gateway_cpus}, k6 on CPU"
        f" {settings.loadgen_cpus}, subgraphs on CPU {settings.subgraph_cpus}.",
        "- CPU and peak RSS: the gateway's process tree, from /proc (RSS sampled every 0.1 s).",
        "  RPS per core = 1000 / CPU ms per request: what one busy core would serve; on a",
        "  shared machine it is the figure least disturbed by other load.",
        "- Subgraph req/request: requests counted in the subgraphs during the measured run,",
        '  divided by the client requests; "1 request" is the same for one isolated request.',
        "- Cores busy while measured: each pinned core's busy share from /proc/stat (every",
        "  process on it, ours or not), and k6's and the subgraphs' own CPU in percent of a core.",
        "  A gateway below 100 % of its core while that core is ~100 % busy lost the rest to other",
        "  processes on the machine; a load-generator core at ~100 % means k6 and the subgraphs",
        '  set the pace, not the gateway. "Gateway waited for a core": the time its main',
        "  thread(s) were ready to run while another process had the core (/proc/PID/schedstat);",
        "  CPU % of a core + that wait + idle ≈ 100 % for a one-process gateway.",
        "- `mosaic-wN`: Mosaic with `--workers N`, pinned to the same core(s) as every gateway.",
        "",
    ]
    for mode in settings.modes:
        mode_runs = [run for run in runs if run.mode == mode]
        measured = [run.figures for run in mode_runs if run.figures]
        lines += [f"## Mode: {mode}", ""]
        if measured:
            lines += [figures_table(measured), "", "Ratios (A's figure / B's figure):", ""]
            lines += [ratios_table(measured), ""]
            targets = targets_table(mode, measured)
            if targets:
                lines += ["Mosaic against the issue's targets:", "", targets, ""]
        lines += [
            "| gateway | configuration | subgraph requests, 1 request | cores busy while measured"
            " | problem |"
        ]
        lines += ["|---|---|---|---|---|"]
        for run in mode_runs:
            problem = (run.problem or "none").replace("\n", " ").replace("|", "\\|")[:300]
            fanout = "–" if run.single_request_fanout is None else str(run.single_request_fanout)
            lines.append(
                f"| {run.gateway} | {run.description} | {fanout} | {run.cores} | {problem} |"
            )
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    settings = read_settings(BENCH_DIR)
    started = dt.datetime.now(dt.UTC)
    work = settings.work_dir / f"federation-{started:%Y%m%d-%H%M%S}"
    work.mkdir(parents=True, exist_ok=True)
    settings.results_dir.mkdir(parents=True, exist_ok=True)
    print(f"federation benchmark; logs in {work}", flush=True)

    body = json.dumps({"query": QUERY_FILE.read_text(), "operationName": "TestQuery"}).encode()
    body_file = work / "body.json"
    body_file.write_bytes(body)
    subgraphs = Subgraphs(work, settings.subgraph_cpus)
    runs: list[GatewayRun] = []
    try:
        supergraph = work / "supergraph.graphql"
        compose(subgraphs.urls, supergraph)
        expected = fetch_reference(settings, subgraphs, supergraph, body, work)
        expected_file = work / "expected.json"
        expected_file.write_text(json.dumps(expected))
        reference_bytes = len(json.dumps(expected, separators=(",", ":")))
        for mode in settings.modes:
            for name in settings.gateways:
                run = measure_gateway(
                    name,
                    mode,
                    settings=settings,
                    subgraphs=subgraphs,
                    supergraph=supergraph,
                    body_file=body_file,
                    expected_file=expected_file,
                    expected=expected,
                    work=work,
                )
                runs.append(run)
                summary = f"{run.figures.rps:.0f} RPS" if run.figures else "not measured"
                print(f"  {mode}/{name}: {summary}; problem: {run.problem or 'none'}", flush=True)
                time.sleep(1)
    finally:
        subgraphs.stop()
    report = render(settings, runs, reference_bytes, started)
    out = settings.results_dir / f"{started:%Y-%m-%d}-federation.md"
    out.write_text(report)
    print(report)
    print(f"written to {out}")
    return 0 if all(run.problem is None for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
