"""How each gateway under test is started, per mode, on one supergraph.

Modes:
- plain: no sharing of in-flight work; each client request is planned, fetched and shaped on
  its own (Hive's default subgraph-request deduplication is turned off too).
- coalescing: identical in-flight client requests (and subgraph requests) shared, as the public
  gateways benchmark configures Hive Gateway (inboundInflightRequestDeduplication, --jit).
Apollo Gateway shares nothing and has no such switch: the same in both modes. Grafbase shares
identical in-flight subgraph requests by default (its `traffic_shaping.inflight_deduplication`);
plain mode turns that off, coalescing mode keeps its defaults as the public benchmark runs it.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = BENCH_DIR.parent
NODE_MODULES = BENCH_DIR / "node_modules"
GATEWAYS_DIR = Path(__file__).resolve().parent / "gateways"
SUBGRAPHS_DIR = Path(__file__).resolve().parent / "subgraphs"
SUBGRAPH_NAMES = ("accounts", "products", "inventory", "reviews")
MODES = ("plain", "coalescing")
GATEWAY_NAMES = ("mosaic", "mosaic-wN", "hive", "apollo", "grafbase")
MOSAIC_WORKERS_NAME = re.compile(r"mosaic-w(\d+)")


def mosaic_workers_of(name: str, default: int = 1) -> int | None:
    """Worker processes for a Mosaic entry of BENCH_GATEWAYS: `mosaic` runs `default`
    (BENCH_MOSAIC_WORKERS), `mosaic-w2` runs 2; None for the other gateways."""
    if name == "mosaic":
        return default
    match = MOSAIC_WORKERS_NAME.fullmatch(name)
    return int(match.group(1)) if match else None


# Mosaic's router settings per mode (MOSAIC_* variables, see README "Router").
MOSAIC_MODE_ENV: dict[str, dict[str, str]] = {
    "plain": {
        "MOSAIC_ROUTER_DEDUP_SUBGRAPH_REQUESTS": "false",
        "MOSAIC_ROUTER_COALESCE_QUERIES": "false",
    },
    "coalescing": {
        "MOSAIC_ROUTER_DEDUP_SUBGRAPH_REQUESTS": "true",
        "MOSAIC_ROUTER_COALESCE_QUERIES": "true",
    },
}

HIVE_CONFIG = {
    "plain": (
        "export const gatewayConfig = {\n"
        "  jit: true,\n"
        "  transportEntries: { '*.http': { options: { deduplicateInflightRequests: false } } },\n"
        "};\n"
    ),
    "coalescing": (
        "export const gatewayConfig = { inboundInflightRequestDeduplication: true, jit: true };\n"
    ),
}


def mosaic_source() -> Path:
    """The Mosaic checkout to measure: BENCH_MOSAIC_DIR (its code first on the path), else this."""
    return Path(os.environ.get("BENCH_MOSAIC_DIR") or REPO_DIR)


@dataclass(frozen=True)
class Launch:
    """Everything needed to start one gateway: command, environment and working folder."""

    name: str
    argv: list[str]
    cwd: Path
    env: Mapping[str, str] = field(default_factory=dict)
    description: str = ""


def launch(
    name: str,
    mode: str,
    *,
    supergraph: Path,
    port: int,
    subgraph_urls: Mapping[str, str],
    work_dir: Path,
    mosaic_workers: int = 1,
    schema_dir: Path = SUBGRAPHS_DIR,
) -> Launch:
    """The Launch for gateway `name` in `mode`; work_dir holds its generated config files.
    schema_dir holds each subgraph's SDL as NAME.graphql (Grafbase reads them)."""
    work_dir.mkdir(parents=True, exist_ok=True)
    node_env = {"NODE_ENV": "production"}
    workers = mosaic_workers_of(name, mosaic_workers)
    if workers is not None:
        python = os.environ.get("MOSAIC_PYTHON") or str(REPO_DIR / ".venv" / "bin" / "python")
        if not Path(python).exists():
            python = sys.executable
        argv = [python, "-m", "mosaic", "router", "--supergraph", str(supergraph)]
        argv += ["--port", str(port), "--workers", str(workers)]
        env = MOSAIC_MODE_ENV[mode]
        described = ", ".join(f"{key}={value}" for key, value in env.items())
        source = mosaic_source()
        env = {**env, "PYTHONPATH": str(source)}
        return Launch(name, argv, source, env, f"--workers {workers}; {described}")
    if name == "hive":
        config = work_dir / "gateway.config.mjs"
        config.write_text(HIVE_CONFIG[mode])
        argv = [str(NODE_MODULES / ".bin" / "hive-gateway"), "supergraph", str(supergraph)]
        argv += ["--port", str(port), "--host", "127.0.0.1", "--fork", "1", "--jit"]
        argv += ["-c", str(config)]
        described = "one process, --jit; " + (
            "inboundInflightRequestDeduplication"
            if mode == "coalescing"
            else "subgraph request deduplication off"
        )
        return Launch(name, argv, work_dir, node_env, described)
    if name == "apollo":
        argv = ["node", str(GATEWAYS_DIR / "apollo.mjs"), str(supergraph), str(port)]
        return Launch(name, argv, work_dir, node_env, "one process, defaults")
    if name == "grafbase":
        lines = []
        for subgraph, url in subgraph_urls.items():
            lines.append(f"[subgraphs.{subgraph}]")
            lines.append(f'url = "{url}"')
            lines.append(f'schema_path = "{schema_dir / (subgraph + ".graphql")}"')
        if mode == "plain":
            lines += ["[traffic_shaping]", "inflight_deduplication = false"]
        (work_dir / "grafbase.toml").write_text("\n".join(lines) + "\n")
        home = work_dir / "home"
        home.mkdir(exist_ok=True)
        binary = NODE_MODULES / "@grafbase" / "cli-x86_64-unknown-linux-musl" / "grafbase"
        argv = [str(binary), "dev", "-c", "grafbase.toml"]
        argv += ["--listen-address", f"127.0.0.1:{port}"]
        described = "`grafbase dev`, " + (
            "traffic_shaping.inflight_deduplication = false" if mode == "plain" else "defaults"
        )
        return Launch(name, argv, work_dir, {"HOME": str(home)}, described)
    raise ValueError(f"unknown gateway {name!r}; known: {', '.join(GATEWAY_NAMES)}")
