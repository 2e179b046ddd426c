"""Benchmark run settings from BENCH_* environment variables (the runner scripts' only input)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class BenchSettings:
    vus: int
    duration: str
    warmup: str
    gateways: tuple[str, ...]
    modes: tuple[str, ...]
    gateway_cpus: str
    loadgen_cpus: str
    subgraph_cpus: str
    mosaic_workers: int
    results_dir: Path
    work_dir: Path


def _list(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


def read_settings(bench_dir: Path, *, default_vus: int = 50) -> BenchSettings:
    env = os.environ
    # Pin the gateway and the load generator to different cores when there are two or more.
    two_cores = (os.cpu_count() or 1) >= 2
    gateway_default, other_default = ("0", "1") if two_cores else ("", "")
    return BenchSettings(
        vus=int(env.get("BENCH_VUS", default_vus)),
        duration=env.get("BENCH_DURATION", "30s"),
        warmup=env.get("BENCH_WARMUP", "10s"),
        gateways=_list(env.get("BENCH_GATEWAYS", "mosaic,mosaic-w2,hive,apollo,grafbase")),
        modes=_list(env.get("BENCH_MODES", "plain,coalescing")),
        gateway_cpus=env.get("BENCH_GATEWAY_CPUS", gateway_default),
        loadgen_cpus=env.get("BENCH_LOADGEN_CPUS", other_default),
        subgraph_cpus=env.get("BENCH_SUBGRAPH_CPUS", other_default),
        mosaic_workers=int(env.get("BENCH_MOSAIC_WORKERS", "1")),
        results_dir=Path(env.get("BENCH_RESULTS_DIR", str(bench_dir / "results"))),
        work_dir=Path(env.get("BENCH_WORK_DIR", str(bench_dir / ".work"))),
    )


def machine_description() -> str:
    """CPU model and count, kernel, and tool versions, for the results header."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False)
    return (
        f"{os.cpu_count()} × {model}; Linux {platform.release()}; "
        f"Python {platform.python_version()}; Node {node.stdout.strip() or '?'}"
    )


def load_averages() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def gateway_versions(node_modules: Path, mosaic_dir: Path) -> str:
    """Versions of the gateways under test: npm packages, and Mosaic's git commit."""
    parts = []
    for package in (
        "@graphql-hive/gateway",
        "@apollo/gateway",
        "@apollo/server",
        "@grafbase/cli-x86_64-unknown-linux-musl",
    ):
        try:
            version = json.loads((node_modules / package / "package.json").read_text())["version"]
        except (OSError, ValueError, KeyError):
            version = "?"
        parts.append(f"{package} {version}")
    commit = subprocess.run(
        ["git", "-C", str(mosaic_dir), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return f"Mosaic {commit or '(not a git checkout)'}; " + ", ".join(parts)
