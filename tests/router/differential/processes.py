"""Start the processes of the differential suite: Node subgraphs, gateways, Mosaic's router.

Every process listens on a free loopback port, is polled until it answers its health check,
and is terminated (then killed) when its context exits. Output goes to a log file so a failed
start can show why.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.utils.servers import free_port

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
PEERS = REPO / "tests" / "peers" / "node_modules"
SUPERGRAPHS = HERE / "supergraphs"
SUPERGRAPH_NAMES = ("commerce", "media", "edge", "shapes")
PLACEHOLDER = "http://subgraphs.invalid"
TARGETS = ("mosaic", "apollo", "hive")


class StartError(RuntimeError):
    """A process exited or never became healthy."""


@dataclass(frozen=True)
class Running:
    """One started process and where it answers."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path


def python_executable() -> str:
    venv = REPO / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else "python3"


def mosaic_router_available() -> tuple[bool, str]:
    """Whether `python -m mosaic router --help` works in this checkout (and why not)."""
    try:
        out = subprocess.run(
            [python_executable(), "-m", "mosaic", "router", "--help"],
            cwd=REPO, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"`python -m mosaic router --help` could not run: {exc}"
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["(no output)"])[-1]
        return False, f"`python -m mosaic router --help` exited {out.returncode}: {last}"
    return True, ""


def hive_binary() -> Path | None:
    configured = os.environ.get("MOSAIC_DIFF_HIVE_BIN")
    candidate = Path(configured) if configured else PEERS / ".bin" / "hive-gateway"
    return candidate if candidate.exists() else None


def write_supergraph(name: str, subgraph_port: int, directory: Path) -> Path:
    """Copy a committed supergraph with its subgraph URLs pointed at the running subgraphs."""
    text = (SUPERGRAPHS / f"{name}.graphql").read_text()
    target = directory / f"{name}.graphql"
    target.write_text(text.replace(PLACEHOLDER, f"http://127.0.0.1:{subgraph_port}"))
    return target


def wait_healthy(running: Running, url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if running.process.poll() is not None:
            raise StartError(f"{running.name} exited {running.process.returncode}: {tail(running)}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        time.sleep(0.1)
    raise StartError(f"{running.name} not healthy at {url} after {timeout}s: {tail(running)}")


def tail(running: Running, lines: int = 15) -> str:
    try:
        return "\n".join(running.log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@contextlib.contextmanager
def started(
    name: str, argv: Sequence[str], log_dir: Path, env: dict[str, str] | None = None
) -> Iterator[Running]:
    log = log_dir / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            list(argv), cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )  # fmt: skip
    running = Running(name=name, process=process, log=log)
    try:
        yield running
    finally:
        stop(running)


def stop(running: Running) -> None:
    if running.process.poll() is None:
        running.process.terminate()
        try:
            running.process.wait(10)
        except subprocess.TimeoutExpired:
            running.process.kill()
            running.process.wait(10)


def node() -> str:
    found = shutil.which("node")
    if found is None:
        raise StartError("node is not on the PATH (the differential suite needs Node 20+)")
    return found


@dataclass(frozen=True)
class Side:
    """One side of the comparison: a subgraph server and one endpoint per supergraph."""

    label: str
    subgraph_port: int
    endpoints: dict[str, str]

    @property
    def reset_url(self) -> str:
        return f"http://127.0.0.1:{self.subgraph_port}/reset"


@contextlib.contextmanager
def side(label: str, target: str, work: Path) -> Iterator[Side]:
    """Start subgraphs and a gateway of kind `target` serving the three supergraphs."""
    with starting(label, target, work) as (started_side, checks):
        for running, url in checks:
            wait_healthy(running, url)
        yield started_side


@contextlib.contextmanager
def starting(
    label: str, target: str, work: Path
) -> Iterator[tuple[Side, list[tuple[Running, str]]]]:
    """Like `side`, without waiting: yields the side and the health checks still to pass."""
    directory = work / label
    directory.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        subgraph_port = free_port()
        subgraphs = stack.enter_context(
            started(
                f"{label}-subgraphs",
                [node(), str(HERE / "subgraphs" / "serve.mjs"), str(subgraph_port)],
                directory,
            )
        )
        files = {n: write_supergraph(n, subgraph_port, directory) for n in SUPERGRAPH_NAMES}
        ports = {n: free_port() for n in SUPERGRAPH_NAMES}
        checks: list[tuple[Running, str]] = [
            (subgraphs, f"http://127.0.0.1:{subgraph_port}/health")
        ]
        if target == "apollo":
            argv = [node(), str(HERE / "gateway.mjs")]
            for n in SUPERGRAPH_NAMES:
                argv += [str(files[n]), str(ports[n])]
            gateway = stack.enter_context(started(f"{label}-apollo", argv, directory))
            checks += [(gateway, f"http://127.0.0.1:{ports[n]}/health") for n in SUPERGRAPH_NAMES]
            endpoints = {n: f"http://127.0.0.1:{ports[n]}/" for n in SUPERGRAPH_NAMES}
        elif target == "hive":
            binary = hive_binary()
            if binary is None:
                raise StartError("hive-gateway not found (set MOSAIC_DIFF_HIVE_BIN)")
            for n in SUPERGRAPH_NAMES:
                argv = [str(binary), "supergraph", str(files[n]), "--host", "127.0.0.1",
                        "--port", str(ports[n])]  # fmt: skip
                running = stack.enter_context(started(f"{label}-hive-{n}", argv, directory))
                checks.append((running, f"http://127.0.0.1:{ports[n]}/healthcheck"))
            endpoints = {n: f"http://127.0.0.1:{ports[n]}/graphql" for n in SUPERGRAPH_NAMES}
        elif target == "mosaic":
            for n in SUPERGRAPH_NAMES:
                argv = [python_executable(), "-m", "mosaic", "router", "--supergraph",
                        str(files[n]), "--port", str(ports[n])]  # fmt: skip
                running = stack.enter_context(started(f"{label}-mosaic-{n}", argv, directory))
                checks.append((running, f"http://127.0.0.1:{ports[n]}/health"))
            endpoints = {n: f"http://127.0.0.1:{ports[n]}/" for n in SUPERGRAPH_NAMES}
        else:
            raise StartError(f"unknown target {target!r}: one of {', '.join(TARGETS)}")
        yield Side(label=label, subgraph_port=subgraph_port, endpoints=endpoints), checks
