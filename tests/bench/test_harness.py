"""The benchmark harness's own logic (the benchmarks themselves never run in tests)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from bench.domain.run import n_plus_one_verdict, point_supergraph
from bench.federation.gateways import launch, mosaic_workers_of
from bench.federation.profile import aggregate
from bench.harness.compare import first_difference, response_problem
from bench.harness.k6 import parse_summary
from bench.harness.procs import (
    CoreMeter,
    cpu_list,
    cpu_seconds,
    process_tree,
    rss_bytes,
    runqueue_wait_seconds,
)
from bench.harness.report import (
    GatewayFigures,
    figures_table,
    ratio,
    ratios_table,
    targets_table,
)

EXPECTED = {"data": {"users": [{"id": "1", "reviews": [{"id": "1"}, {"id": "2"}]}]}}


def figures(gateway: str, rps: float, rss: float) -> GatewayFigures:
    return GatewayFigures(
        gateway=gateway,
        rps=rps,
        p50_ms=10.0,
        p95_ms=20.0,
        p99_ms=40.0,
        cpu_percent=90.0,
        cpu_ms_per_request=1000 * 0.9 / rps,
        peak_rss_mb=rss,
        subgraph_requests_per_request=7.0,
        requests=int(rps * 30),
        failed_checks=0,
    )


def test_same_data_in_another_key_order_is_the_reference() -> None:
    body = json.dumps({"data": {"users": [{"reviews": [{"id": "1"}, {"id": "2"}], "id": "1"}]}})
    assert response_problem(200, body.encode(), EXPECTED) is None


def test_list_order_errors_and_status_are_problems() -> None:
    swapped = {"data": {"users": [{"id": "1", "reviews": [{"id": "2"}, {"id": "1"}]}]}}
    problem = response_problem(200, json.dumps(swapped).encode(), EXPECTED)
    assert problem is not None and "data.users[0].reviews[0].id" in problem
    with_errors = {**EXPECTED, "errors": [{"message": "boom"}]}
    assert "boom" in (response_problem(200, json.dumps(with_errors).encode(), EXPECTED) or "")
    assert "status 502" in (response_problem(502, b"bad gateway", EXPECTED) or "")
    assert "not JSON" in (response_problem(200, b"<html>", EXPECTED) or "")


def test_first_difference_names_missing_keys() -> None:
    assert first_difference({"a": 1}, {"a": 1, "b": 2}) == "data.b missing"


def test_ratios_divide_each_figure_of_a_by_b() -> None:
    assert ratio(150.0, 50.0) == "3.00×"
    assert ratio(1.0, 0.0) == "–"
    rows = [figures("mosaic", 150.0, 100.0), figures("hive", 50.0, 400.0)]
    table = ratios_table(rows)
    pair = next(line for line in table.splitlines() if line.startswith("| mosaic / hive"))
    cells = [cell.strip() for cell in pair.strip("|").split("|")]
    assert cells[1] == "3.00×"  # RPS
    assert cells[6] == "0.33×"  # CPU ms per request
    assert cells[7] == "3.00×"  # RPS per core
    assert cells[8] == "0.25×"  # peak RSS
    assert "| hive | 50 |" in figures_table(rows)


def test_k6_summary_figures() -> None:
    summary = {
        "metrics": {
            "http_reqs": {"values": {"count": 300, "rate": 10.5}},
            "http_req_duration": {"values": {"med": 4.0, "p(95)": 9.0, "p(99)": 12.5}},
            "checks": {"values": {"passes": 900, "fails": 3}},
        }
    }
    result = parse_summary(summary)
    assert (result.requests, result.rps, result.p50_ms, result.p99_ms) == (300, 10.5, 4.0, 12.5)
    assert result.failed_checks == 3 and not result.all_correct


def test_process_tree_usage_covers_children() -> None:
    code = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)'])\n"
        "sum(i * i for i in range(3_000_000))\n"
        "print('ready', flush=True)\n"
        "time.sleep(30)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None and parent.stdout.readline().strip() == "ready"
        tree = process_tree(parent.pid)
        assert tree[0] == parent.pid and len(tree) == 2
        assert cpu_seconds([parent.pid]) > 0.05
        assert rss_bytes(tree) > rss_bytes([parent.pid]) > 1_000_000
    finally:
        for pid in reversed(process_tree(parent.pid)):
            subprocess.run(["kill", str(pid)], check=False)
        parent.wait(10)


def test_point_supergraph_rewrites_only_running_subgraphs(tmp_path: Path) -> None:
    source = tmp_path / "in.graphql"
    source.write_text(
        "enum join__Graph {\n"
        '  USERS @join__graph(name: "users", url: "http://localhost:4001/graphql")\n'
        '  TASKS @join__graph(name: "tasks", url: "http://localhost:4002/graphql")\n'
        "}\n"
    )
    out = tmp_path / "out.graphql"
    point_supergraph(source, {"users": "http://127.0.0.1:5555/graphql"}, out)
    text = out.read_text()
    assert '@join__graph(name: "users", url: "http://127.0.0.1:5555/graphql")' in text
    assert '@join__graph(name: "tasks", url: "http://localhost:4002/graphql")' in text


def test_profile_aggregates_self_and_inclusive_samples_per_function() -> None:
    raw = (
        "process 1;main (app.py:3);handle (app.py:10);shape (shape.py:5) 6\n"
        "process 1;main (app.py:3);handle (app.py:12);fetch (client.py:7) 3\n"
        "process 1;main (app.py:3) 1\n"
    )
    own, inclusive, total = aggregate(raw)
    assert total == 10
    assert own["shape (shape.py)"] == 6 and own["main (app.py)"] == 1
    assert inclusive["handle (app.py)"] == 9 and inclusive["main (app.py)"] == 10


def test_targets_compare_mosaic_with_each_peer_per_mode() -> None:
    rows = [figures("mosaic", 150.0, 100.0), figures("hive", 50.0, 450.0)]
    plain = targets_table("plain", rows)
    assert "| mosaic | RPS ≥ 3× Hive Gateway's | 3.00× | 3.00× | yes |" in plain
    assert "| mosaic | peak RSS ≤ ¼ of Hive Gateway's | 0.22× | – | yes |" in plain
    assert "Apollo" not in plain  # no Apollo row measured: no verdict
    coalescing = targets_table("coalescing", [figures("mosaic", 40.0, 200.0), rows[1]])
    assert "| mosaic | RPS ≥ Hive Gateway's | 0.80× | 0.80× | no |" in coalescing
    assert "| mosaic | peak RSS ≤ ¼ of Hive Gateway's | 0.44× | – | no |" in coalescing
    assert targets_table("plain", [rows[1]]) == ""
    # Each Mosaic configuration (mosaic-wN: N worker processes) gets its own verdicts.
    both = targets_table("plain", [*rows, figures("mosaic-w2", 120.0, 180.0)])
    assert "| mosaic-w2 | RPS ≥ 3× Hive Gateway's | 2.40× | 2.40× | no |" in both
    assert "| mosaic | RPS ≥ 3× Hive Gateway's | 3.00× | 3.00× | yes |" in both


def test_mosaic_entries_name_their_worker_count(tmp_path: Path) -> None:
    assert mosaic_workers_of("mosaic", 3) == 3
    assert mosaic_workers_of("mosaic-w2") == 2
    assert mosaic_workers_of("hive") is None
    spec = launch(
        "mosaic-w2",
        "plain",
        supergraph=tmp_path / "s.graphql",
        port=4321,
        subgraph_urls={},
        work_dir=tmp_path / "w",
    )
    assert spec.argv[spec.argv.index("--workers") + 1] == "2"
    assert spec.description.startswith("--workers 2;")


def test_n_plus_one_verdict_tolerates_batch_jitter_but_not_growth() -> None:
    assert n_plus_one_verdict("first", 1, 10, 29, 31).startswith("flat")
    assert n_plus_one_verdict("first", 1, 10, 31, 29).startswith("flat")
    verdict = n_plus_one_verdict("first", 1, 10, 12, 21)
    assert verdict == "GROWS (N+1): 12 at first=1, 21 at first=10"


def test_cpu_lists_parse_like_taskset() -> None:
    assert cpu_list("0") == [0]
    assert cpu_list("1,3") == [1, 3]
    assert cpu_list("0-2,5") == [0, 1, 2, 5]
    assert cpu_list("") == []


def test_two_busy_processes_on_one_core_wait_for_it_and_keep_it_busy() -> None:
    spin = "import time\nend = time.monotonic() + 1.5\nwhile time.monotonic() < end: pass\n"
    meter = CoreMeter([0])
    meter.start()
    started = time.monotonic()
    spinners = [
        subprocess.Popen(["taskset", "-c", "0", sys.executable, "-c", spin]) for _ in range(2)
    ]
    time.sleep(1.0)
    waits = runqueue_wait_seconds([p.pid for p in spinners])
    elapsed = time.monotonic() - started
    for spinner in spinners:
        spinner.wait(10)
    busy, roots_percent = meter.stop()
    # Sharing one core, each spinner waits for it about half the time (more if others ran).
    assert waits > 0.5 * elapsed
    assert busy[0] > 80.0
    assert roots_percent == 0.0  # no roots given
