"""Start and stop benchmark processes, and read their CPU time and memory from /proc."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A TCP port nobody listens on now (the machine is shared: never a fixed port)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pinned(argv: Sequence[str], cpus: str | None) -> list[str]:
    """`argv` run under `taskset -c CPUS` when cpus is given (and taskset exists)."""
    if cpus and Path("/usr/bin/taskset").exists():
        return ["taskset", "-c", cpus, *argv]
    return list(argv)


class Process:
    """One started process in its own session (so its whole tree can be stopped)."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        log_path: Path,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        cpus: str | None = None,
    ) -> None:
        self.name = name
        self.log_path = log_path
        full_env = {**os.environ, **(env or {})}
        self._log = log_path.open("wb")
        self.popen = subprocess.Popen(
            pinned(argv, cpus),
            cwd=cwd,
            env=full_env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the process group this process leads, then SIGKILL what is left."""
        if self.alive():
            try:
                os.killpg(self.popen.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout)
        self._log.close()

    def log_tail(self, chars: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def wait_http(url: str, process: Process, timeout: float = 60.0) -> None:
    """Wait until GET url answers below 500, or fail with the process's log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.alive():
            raise RuntimeError(f"{process.name} exited:\n{process.log_tail()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 500:
                    return
        except urllib.error.HTTPError as error:
            if error.code < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{process.name} did not answer {url} in {timeout}s:\n{process.log_tail()}")


def post_json(url: str, body: bytes, timeout: float = 30.0) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url, data=body, headers={"content-type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read()


def get_json_bytes(url: str, timeout: float = 10.0) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return bytes(response.read())


def _children_by_parent() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # The command name (field 2) may hold spaces: fields after its closing parenthesis.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    return children


def process_tree(root: int) -> list[int]:
    """root and all its descendants now alive."""
    children = _children_by_parent()
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU seconds used so far by these processes (and their reaped children)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # utime, stime, cutime, cstime are fields 14-17 (1-based); here offset by the 2 cut off.
        total += sum(int(value) for value in fields[11:15])
    return total / CLOCK_TICKS


def rss_bytes(pids: Sequence[int]) -> int:
    """Resident memory of these processes now."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
                    break
        except OSError:
            continue
    return total


def runqueue_wait_seconds(pids: Sequence[int]) -> float:
    """Seconds the main threads of these processes spent runnable but waiting for a core
    (/proc/PID/schedstat, second field): time lost to other processes on the same CPU."""
    total = 0
    for pid in pids:
        try:
            total += int(Path(f"/proc/{pid}/schedstat").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return total / 1e9


@dataclass(frozen=True)
class Usage:
    """What a process tree used over one measured window."""

    cpu_seconds: float
    wall_seconds: float
    peak_rss_bytes: int
    wait_seconds: float = 0.0  # main threads runnable but not running (another process ran)


class UsageMeter:
    """Measures a process tree between start() and stop(): CPU time, and peak RSS by sampling."""

    def __init__(self, root_pid: int, interval: float = 0.1) -> None:
        self.root_pid = root_pid
        self.interval = interval
        self._peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._cpu_start = 0.0
        self._wall_start = 0.0
        self._wait_start = 0.0

    def _sample(self) -> None:
        while not self._stop.is_set():
            self._peak = max(self._peak, rss_bytes(process_tree(self.root_pid)))
            self._stop.wait(self.interval)

    def start(self) -> None:
        tree = process_tree(self.root_pid)
        self._cpu_start = cpu_seconds(tree)
        self._wait_start = runqueue_wait_seconds(tree)
        self._wall_start = time.monotonic()
        self._thread.start()

    def stop(self) -> Usage:
        tree = process_tree(self.root_pid)
        cpu = cpu_seconds(tree) - self._cpu_start
        wait = runqueue_wait_seconds(tree) - self._wait_start
        wall = time.monotonic() - self._wall_start
        self._stop.set()
        self._thread.join()
        return Usage(
            cpu_seconds=cpu, wall_seconds=wall, peak_rss_bytes=self._peak, wait_seconds=wait
        )


def core_times(cpus: Sequence[int]) -> dict[int, tuple[int, int]]:
    """(busy, total) clock ticks so far per CPU from /proc/stat (busy = all but idle and iowait)."""
    wanted = {f"cpu{cpu}": cpu for cpu in cpus}
    times: dict[int, tuple[int, int]] = {}
    for line in Path("/proc/stat").read_text().splitlines():
        name, _, rest = line.partition(" ")
        if name in wanted:
            values = [int(value) for value in rest.split()]
            idle = values[3] + (values[4] if len(values) > 4 else 0)
            # guest times are already counted in user/nice: only the first 8 fields add up.
            total = sum(values[:8])
            times[wanted[name]] = (total - idle, total)
    return times


def cpu_list(spec: str) -> list[int]:
    """`taskset`-style CPU list ("0", "1,3", "0-2") as CPU numbers."""
    cpus: list[int] = []
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        low, _, high = part.partition("-")
        cpus.extend(range(int(low), int(high or low) + 1))
    return cpus


class CoreMeter:
    """How busy some CPUs were (every process on them, ours or not) between start() and stop(),
    and how much CPU a set of process trees used: to tell whether the load generator's core was
    saturated while a gateway ran."""

    def __init__(self, cpus: Sequence[int], roots: Sequence[int] = ()) -> None:
        self.cpus = list(cpus)
        self.roots = list(roots)
        self._start: dict[int, tuple[int, int]] = {}
        self._roots_start = 0.0
        self._wall_start = 0.0

    def _roots_cpu(self) -> float:
        return sum(cpu_seconds(process_tree(root)) for root in self.roots)

    def start(self) -> None:
        self._start = core_times(self.cpus)
        self._roots_start = self._roots_cpu()
        self._wall_start = time.monotonic()

    def stop(self) -> tuple[dict[int, float], float]:
        """Busy percent per CPU, and the roots' CPU as percent of one core."""
        end = core_times(self.cpus)
        roots = self._roots_cpu() - self._roots_start
        wall = time.monotonic() - self._wall_start
        busy = {}
        for cpu, (busy_end, total_end) in end.items():
            busy_start, total_start = self._start.get(cpu, (0, 0))
            total = total_end - total_start
            busy[cpu] = 100.0 * (busy_end - busy_start) / total if total else 0.0
        return busy, 100.0 * roots / wall if wall else 0.0
