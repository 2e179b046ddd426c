"""`mosaic router --workers N`: N worker processes serving one listening socket, and a clean
stop on SIGTERM or Ctrl-C (SIGINT) that leaves no worker behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.router.canned import case_supergraph
from tests.utils.servers import free_port

CASE = Path(__file__).parent / "cases" / "shop-basic"


def _children(pid: int) -> list[int]:
    """Live (not zombie) child processes of pid, from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry))
    return found


def _workers(pid: int) -> list[int]:
    """The uvicorn worker processes among pid's children (not multiprocessing's tracker)."""
    workers = []
    for child in _children(pid):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in cmdline:
            workers.append(child)
    return workers


def _listening_inode(port: int) -> str:
    """The socket inode listening on 127.0.0.1:port (from /proc/net/tcp; state 0A = LISTEN)."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == f"0100007F:{port:04X}" and fields[3] == "0A":
            return fields[9]
    raise AssertionError(f"nothing listens on port {port}")


def _holds_socket(pid: int, inode: str) -> bool:
    fd_dir = Path(f"/proc/{pid}/fd")
    for fd in fd_dir.iterdir():
        try:
            if os.readlink(fd) == f"socket:[{inode}]":
                return True
        except OSError:
            continue
    return False


def _wait_until(condition: object, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise TimeoutError(f"{what} not reached in {timeout}s")


def _ready(url: str) -> bool:
    try:
        return httpx.get(url + "/health", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture
def router_with_workers() -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mosaic", "router", "--supergraph", str(case_supergraph(CASE)),
         "--port", str(port), "--workers", "2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    try:
        _wait_until(lambda: len(_workers(proc.pid)) == 2, what="two workers")
        _wait_until(lambda: _ready(f"http://127.0.0.1:{port}"), what="/health")
        yield proc, port
    finally:
        if proc.poll() is None:  # the test failed before stopping it: end the whole group
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        if proc.stderr:
            proc.stderr.close()


def test_workers_share_one_listening_socket_and_all_answer(
    router_with_workers: tuple[subprocess.Popen[bytes], int],
) -> None:
    proc, port = router_with_workers
    workers = _workers(proc.pid)
    assert len(workers) == 2
    inode = _listening_inode(port)
    assert all(_holds_socket(worker, inode) for worker in workers)

    url = f"http://127.0.0.1:{port}/graphql"
    body = {"query": "{ __typename }"}

    def post(_: int) -> tuple[int, object]:
        response = httpx.post(url, json=body, timeout=10)
        return response.status_code, response.json()

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(post, range(40)))
    assert answers == [(200, {"data": {"__typename": "Query"}})] * 40

    # One worker dies: the other keeps serving, and the supervisor starts a replacement.
    os.kill(workers[0], signal.SIGKILL)
    assert [post(i) for i in range(10)] == [(200, {"data": {"__typename": "Query"}})] * 10
    _wait_until(
        lambda: len(_workers(proc.pid)) == 2 and workers[0] not in _workers(proc.pid),
        what="a replacement worker",
    )
    assert json.loads(httpx.get(f"http://127.0.0.1:{port}/health").text) == {"status": "ok"}


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_ends_every_worker(
    router_with_workers: tuple[subprocess.Popen[bytes], int], signum: int
) -> None:
    proc, port = router_with_workers
    processes = [proc.pid, *_children(proc.pid)]
    assert len(processes) >= 3  # the supervisor and two workers
    # Ctrl-C in a terminal sends SIGINT to the whole foreground process group.
    if signum == signal.SIGINT:
        os.killpg(proc.pid, signum)
    else:
        os.kill(proc.pid, signum)
    assert proc.wait(20) == 0
    _wait_until(
        lambda: not any(Path(f"/proc/{pid}").exists() for pid in processes[1:]),
        timeout=10,
        what="no worker left",
    )
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
