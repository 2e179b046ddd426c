"""`mosaic dev` as a person runs it: a real process tree, real HTTP, a real SIGINT."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mosaic.dev import ProcessSpec, busy_ports, point_supergraph_at, router_spec
from subgraphs.common.demo import DEMO_USERS
from tests.utils.servers import free_port_block

ROOT = Path(__file__).resolve().parents[2]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie has exited; it only waits to be reaped.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(") ", 1)[1][0] != "Z"


class DevProcess:
    def __init__(self, cwd: Path, base_port: int, *args: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MOSAIC_")}
        env.update(PYTHONPATH=str(ROOT), MOSAIC_DEV_BASE_PORT=str(base_port))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mosaic", "dev", *args],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def wait_for(self, pattern: str, timeout: float = 90.0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if match := re.search(pattern, line):
                    return match
            if self.process.poll() is not None and not self._reader.is_alive():
                break
            time.sleep(0.1)
        raise AssertionError(f"no {pattern!r} in output:\n{''.join(self.lines)}")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def dev_process(tmp_path: Path) -> Iterator[DevProcess]:
    # With a composed supergraph in the working directory, the router starts too.
    (tmp_path / "schema").mkdir()
    shutil.copy(ROOT / "schema" / "supergraph.graphql", tmp_path / "schema")
    process = DevProcess(tmp_path, free_port_block(8))
    yield process
    process.kill()


def test_dev_serves_users_with_seeded_data_and_stops_cleanly_on_sigint(
    dev_process: DevProcess, tmp_path: Path
) -> None:
    match = dev_process.wait_for(r"users\s+(http://127\.0\.0\.1:(\d+))/graphql\s+\(pid (\d+)\)")
    base_url, port, child = match.group(1), int(match.group(2)), int(match.group(3))
    assert _alive(child)
    sdl = httpx.post(f"{base_url}/graphql", json={"query": "{ _service { sdl } }"}, timeout=10)
    assert 'type User @key(fields: "id")' in sdl.json()["data"]["_service"]["sdl"]
    login = httpx.post(
        f"{base_url}/graphql",
        json={"query": 'mutation { login(email: "alice@mosaic.dev", password: "mosaic-demo-1")'
              " { user { name } } }"},
        timeout=10,
    )  # fmt: skip
    assert login.json()["data"]["login"]["user"]["name"] == "Alice Doe"
    assert (tmp_path / ".data" / "users.db").exists()
    assert (tmp_path / ".data" / "jwt" / "private.pem").exists()

    router = dev_process.wait_for(r"router\s+(http://127\.0\.0\.1:\d+)/graphql\s+\(pid (\d+)\)")
    router_pid = int(router.group(2))
    alice = next(u.id for u in DEMO_USERS if u.key == "alice")
    through_router = httpx.post(
        f"{router.group(1)}/graphql",
        json={"query": "query ($id: ID!) { user(id: $id) { name } }", "variables": {"id": alice}},
        timeout=10,
    )
    assert through_router.json() == {"data": {"user": {"name": "Alice Doe"}}}

    dev_process.process.send_signal(signal.SIGINT)  # what Ctrl-C sends the supervisor
    assert dev_process.process.wait(30) == 0
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(child), "the users process outlived the supervisor"
    assert not _alive(router_pid), "the router outlived the supervisor"
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
    assert "mosaic dev: stopped" in "".join(dev_process.lines)


def test_dev_refuses_busy_ports(tmp_path: Path) -> None:
    base = free_port_block(8)
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", base + 1))
        squatter.listen()
        dev = DevProcess(tmp_path, base, "--no-seed")
        try:
            assert dev.process.wait(90) == 1
        finally:
            dev.kill()
    hint = dev.wait_for(
        rf"port\(s\) {base + 1} already in use.*MOSAIC_DEV_BASE_PORT=(\d+) \(ports (\d+)-(\d+)\)"
    )
    suggested, first, last = (int(hint.group(i)) for i in (1, 2, 3))
    assert suggested == first and last >= first + 4  # from the base port to the last subgraph
    assert not first <= base + 1 <= last  # not the range in use
    for port in range(first, last + 1):  # every port of it is free
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", port))


SUPERGRAPH_SNIPPET = """enum join__Graph {
  TASKS @join__graph(name: "tasks", url: "http://localhost:4002/graphql")
  USERS @join__graph(name: "users", url: "http://localhost:4001/graphql")
}
"""


def test_router_hook_needs_a_composed_supergraph_and_points_it_at_dev_ports(
    tmp_path: Path,
) -> None:
    users = ProcessSpec("users", (), "127.0.0.1", 5001)
    data = tmp_path / ".data"
    assert router_spec("127.0.0.1", 5000, tmp_path, [users], data) is None
    (tmp_path / "schema").mkdir()
    (tmp_path / "schema" / "supergraph.graphql").write_text(SUPERGRAPH_SNIPPET)
    spec = router_spec("127.0.0.1", 5000, tmp_path, [users], data)
    assert spec is not None  # mosaic.commands.router exists on main
    assert spec.port == 5000
    dev_supergraph = data / "supergraph.dev.graphql"
    assert spec.argv[1:] == ("-m", "mosaic", "router", "--supergraph", str(dev_supergraph),
                             "--host", "127.0.0.1", "--port", "5000")  # fmt: skip
    rewritten = dev_supergraph.read_text()
    assert 'USERS @join__graph(name: "users", url: "http://127.0.0.1:5001/graphql")' in rewritten
    # A subgraph mosaic dev does not run keeps its URL.
    assert 'TASKS @join__graph(name: "tasks", url: "http://localhost:4002/graphql")' in rewritten
    # Tokens verified with the users keys, iss and aud those users mints; the playground's plan
    # panel works (all overridable).
    assert dict(spec.defaults) == {
        "MOSAIC_ROUTER_JWT_JWKS_URL": "http://127.0.0.1:5001/.well-known/jwks.json",
        "MOSAIC_ROUTER_JWT_ISSUER": "mosaic",
        "MOSAIC_ROUTER_JWT_AUDIENCE": "mosaic",
        "MOSAIC_ROUTER_EXPOSE_QUERY_PLAN": "true",
    }
    other = router_spec("127.0.0.1", 5000, tmp_path, [users], data, ("issuer-x", "aud-y"))
    assert other is not None
    assert dict(other.defaults)["MOSAIC_ROUTER_JWT_ISSUER"] == "issuer-x"
    assert dict(other.defaults)["MOSAIC_ROUTER_JWT_AUDIENCE"] == "aud-y"


def test_point_supergraph_at_rewrites_only_named_graphs() -> None:
    out = point_supergraph_at(SUPERGRAPH_SNIPPET, {"tasks": "http://h:1/graphql"})
    assert 'name: "tasks", url: "http://h:1/graphql"' in out
    assert 'name: "users", url: "http://localhost:4001/graphql"' in out


def test_busy_ports_reports_only_taken_ones() -> None:
    base = free_port_block(2)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", base))
        squatter.listen()
        specs = [
            ProcessSpec("a", (), "127.0.0.1", base),
            ProcessSpec("b", (), "127.0.0.1", base + 1),
        ]
        assert busy_ports(specs) == [base]


def test_a_dying_subgraph_stops_the_supervisor_with_an_error(dev_process: DevProcess) -> None:
    match = dev_process.wait_for(r"users\s+http://\S+\s+\(pid (\d+)\)")
    os.kill(int(match.group(1)), signal.SIGKILL)
    assert dev_process.process.wait(90) == 1
    dev_process.wait_for(r"mosaic dev: users exited with -9; stopping all")
