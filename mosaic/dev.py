"""The dev supervisor behind `mosaic dev`: one process per subgraph, one per subgraph worker
(`subgraphs/<name>/worker.py`, run as `mosaic worker <name>` once the subgraphs are healthy)
and the router, started by module path, their output prefixed with their name, all stopped
together. Each subgraph process runs its own outbox relay (a task in the app), so the relay
needs no process of its own.

Shutdown is the supervisor's job: children run in their own sessions (a terminal's Ctrl-C
reaches only the supervisor), get SIGTERM on SIGINT/SIGTERM or when any of them dies, and
SIGKILL after a grace period. On Linux each child also gets PR_SET_PDEATHSIG, so even a
killed supervisor leaves no orphan.

Router hook: when the module `mosaic.commands.router` exists and `schema/supergraph.graphql`
exists in the working directory, `mosaic router --supergraph <data_dir>/supergraph.dev.graphql
--host HOST --port BASE` is started too (after the subgraphs are healthy). That file is the
committed supergraph with each running subgraph's `@join__graph(url:)` pointed at the port
`mosaic dev` gave it, so any MOSAIC_DEV_BASE_PORT works. Once the subgraphs are healthy it is
recomposed from their `_service { sdl }`, and again whenever one changes (the router
hot-reloads it): see `router.compose.watch`.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import importlib.util
import os
import re
import signal
import socket
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from mosaic.subgraphs import SubgraphInfo

SUPERGRAPH = Path("schema") / "supergraph.graphql"
GRACE_SECONDS = 10.0
HEALTH_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class ProcessSpec:
    name: str
    argv: tuple[str, ...]
    host: str
    port: int | None  # None: a worker, which serves nothing (no port, no /health)
    # Variables this process gets unless the environment already sets them.
    defaults: tuple[tuple[str, str], ...] = ()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"


def subgraph_spec(info: SubgraphInfo, host: str, base_port: int, log_level: str) -> ProcessSpec:
    port = base_port + info.port_offset
    argv = (sys.executable, "-m", "uvicorn", info.app_path, "--host", host, "--port", str(port),
            "--log-level", log_level, "--ws", "websockets-sansio", "--no-access-log")  # fmt: skip
    return ProcessSpec(info.name, argv, host, port)


def worker_spec(info: SubgraphInfo, host: str) -> ProcessSpec | None:
    if info.worker_module is None:
        return None
    argv = (sys.executable, "-m", "mosaic", "worker", info.name)
    return ProcessSpec(f"{info.name}-worker", argv, host, None)


_JOIN_GRAPH = re.compile(r'(@join__graph\(name: "([^"]+)", url: ")([^"]*)(")')


def point_supergraph_at(sdl: str, urls: Mapping[str, str]) -> str:
    """The supergraph SDL with the routing URL of each subgraph in `urls` replaced."""

    def replace(match: re.Match[str]) -> str:
        url = urls.get(match.group(2), match.group(3))
        return f"{match.group(1)}{url}{match.group(4)}"

    return _JOIN_GRAPH.sub(replace, sdl)


def router_spec(
    host: str,
    base_port: int,
    cwd: Path,
    subgraphs: Sequence[ProcessSpec],
    data_dir: Path,
    token_claims: tuple[str, str] = ("mosaic", "mosaic"),
) -> ProcessSpec | None:
    """The router, when its command exists and a supergraph has been composed."""
    if importlib.util.find_spec("mosaic.commands.router") is None:
        return None
    source = cwd / SUPERGRAPH
    if not source.exists():
        return None
    target = data_dir / "supergraph.dev.graphql"
    target.parent.mkdir(parents=True, exist_ok=True)
    urls = {spec.name: f"{spec.base_url}/graphql" for spec in subgraphs}
    target.write_text(point_supergraph_at(source.read_text(), urls))
    argv = (sys.executable, "-m", "mosaic", "router", "--supergraph", str(target),
            "--host", host, "--port", str(base_port))  # fmt: skip
    # The router verifies tokens with the users subgraph's keys, so the authorization
    # directives (@authenticated, @requiresScopes) see who is calling; and it wants the `iss`
    # and `aud` users mints (`token_claims`), so a token for another audience is refused at the
    # door with 401 rather than passed on to every subgraph.
    users = next((spec for spec in subgraphs if spec.name == "users"), None)
    issuer, audience = token_claims
    jwks = (
        (
            ("MOSAIC_ROUTER_JWT_JWKS_URL", f"{users.base_url}/.well-known/jwks.json"),
            ("MOSAIC_ROUTER_JWT_ISSUER", issuer),
            ("MOSAIC_ROUTER_JWT_AUDIENCE", audience),
        )
        if users is not None
        else ()
    )
    # The playground's "Query plan" box works out of the box (never in production).
    plans = (("MOSAIC_ROUTER_EXPOSE_QUERY_PLAN", "true"),)
    return ProcessSpec("router", argv, host, base_port, (*jwks, *plans))


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def busy_ports(specs: Sequence[ProcessSpec]) -> list[int]:
    return [s.port for s in specs if s.port is not None and not _port_free(s.host, s.port)]


def free_base_port(host: str, base_port: int, span: int) -> int | None:
    """A base port whose `span` ports (base .. base + span - 1) are all free now: the first of
    base + 100, base + 200, ... (wrapping to 5000), None if there is none."""
    candidates = [*range(base_port + 100, 65536 - span, 100), *range(5000, base_port, 100)]
    for candidate in candidates:
        if all(_port_free(host, port) for port in range(candidate, candidate + span)):
            return candidate
    return None


def _die_with_parent() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Supervisor:
    def __init__(self, specs: Sequence[ProcessSpec], *, cwd: Path) -> None:
        self.specs = list(specs)
        self.cwd = cwd
        self.processes: dict[str, asyncio.subprocess.Process] = {}
        self._pumps: list[asyncio.Task[None]] = []
        self._stop = asyncio.Event()
        self._width = max((len(s.name) for s in specs), default=6)
        self._composing: asyncio.Task[None] | None = None

    def request_stop(self) -> None:
        self._stop.set()

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, self.request_stop)
        try:
            workers = [s for s in self.specs if s.port is None]
            subgraphs = [s for s in self.specs if s.name != "router" and s.port is not None]
            routers = [s for s in self.specs if s.name == "router"]
            # Workers consume what the subgraphs publish: they start once those are up.
            for group in (subgraphs, workers, routers):
                if group is routers and routers:
                    await self._start_composing(subgraphs, routers[0])
                for spec in group:
                    await self._start(spec)
                if not await self._wait_healthy([s for s in group if s.port is not None]):
                    return 1
            self._print_urls()
            return await self._watch()
        finally:
            if self._composing is not None:
                self._composing.cancel()
            await self.stop_all()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)

    async def _start_composing(self, subgraphs: Sequence[ProcessSpec], router: ProcessSpec) -> None:
        """Dev loop: compose the router's supergraph from the running subgraphs now, then again
        whenever one's `_service { sdl }` changes (the router hot-reloads the file)."""
        from router.compose.watch import (
            SupergraphWatcher,
            WatchEvent,
            running_config,
            watch_running_subgraphs,
        )

        output = Path(router.argv[router.argv.index("--supergraph") + 1])
        urls = {spec.name: f"{spec.base_url}/graphql" for spec in subgraphs}

        def report(event: WatchEvent) -> None:
            for error in event.result.errors:
                print(f"mosaic dev: composition failed: error[{error.code}]: {error.message}")
            if event.written:
                print(f"mosaic dev: supergraph composed from the running subgraphs: {output}")

        first = SupergraphWatcher(running_config(urls), output, on_event=report)
        await asyncio.to_thread(first.poll)
        self._composing = asyncio.create_task(
            watch_running_subgraphs(urls, output, self._stop, on_event=report)
        )

    async def _start(self, spec: ProcessSpec) -> None:
        env = {**dict(spec.defaults), **os.environ, "PYTHONUNBUFFERED": "1"}
        process = await asyncio.create_subprocess_exec(
            *spec.argv,
            cwd=self.cwd,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        self.processes[spec.name] = process
        self._pumps.append(asyncio.create_task(self._pump(spec.name, process)))

    async def _pump(self, name: str, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        prefix = f"{name:<{self._width}} | "
        async for line in process.stdout:
            sys.stdout.write(prefix + line.decode(errors="replace"))
            sys.stdout.flush()

    async def _wait_healthy(self, specs: Sequence[ProcessSpec]) -> bool:
        deadline = time.monotonic() + HEALTH_TIMEOUT_SECONDS
        pending = list(specs)
        async with httpx.AsyncClient(timeout=1.0) as client:
            while pending:
                if self._stop.is_set():
                    return False
                for spec in list(pending):
                    process = self.processes[spec.name]
                    if process.returncode is not None:
                        print(f"mosaic dev: {spec.name} exited with {process.returncode}")
                        return False
                    with contextlib.suppress(httpx.HTTPError):
                        if (await client.get(spec.base_url + "/health")).status_code == 200:
                            pending.remove(spec)
                if pending and time.monotonic() > deadline:
                    names = ", ".join(s.name for s in pending)
                    print(f"mosaic dev: no /health from {names} after {HEALTH_TIMEOUT_SECONDS}s")
                    return False
                if pending:
                    await asyncio.sleep(0.2)
        return True

    def _print_urls(self) -> None:
        lines = ["", "mosaic dev: running (Ctrl-C stops everything)"]
        for spec in sorted(self.specs, key=lambda s: (s.port is None, s.port or 0, s.name)):
            pid = self.processes[spec.name].pid
            where = "worker" if spec.port is None else f"{spec.base_url}/graphql"
            lines.append(f"  {spec.name:<{self._width}}  {where}  (pid {pid})")
        print("\n".join(lines) + "\n", flush=True)

    async def _watch(self) -> int:
        waits = {asyncio.create_task(p.wait()): name for name, p in self.processes.items()}
        stop = asyncio.create_task(self._stop.wait())
        done, _ = await asyncio.wait([stop, *waits], return_when=asyncio.FIRST_COMPLETED)
        for task in [stop, *waits]:
            if task not in done:
                task.cancel()
        if stop in done:
            return 0
        for task in done:
            if task in waits:
                print(f"mosaic dev: {waits[task]} exited with {task.result()}; stopping all")
        return 1

    async def stop_all(self) -> None:
        running = [p for p in self.processes.values() if p.returncode is None]
        for process in running:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(
                asyncio.gather(*(p.wait() for p in running)), timeout=GRACE_SECONDS
            )
        except TimeoutError:
            for process in running:
                if process.returncode is None:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGKILL)
            await asyncio.gather(*(p.wait() for p in running))
        for pump in self._pumps:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(pump, timeout=2.0)
        print("mosaic dev: stopped", flush=True)
