"""The notifications pipeline on its production parts: throughput (events per second) and the
latency from a mutation to the `notificationAdded` message. Prints JSON; never a test.

Every run starts its own throwaway PostgreSQL (the notifications and tasks databases; the test
fixtures' server: fsync and synchronous_commit off), Redis (the event stream, pub/sub and the
dead-letter stream) and an SMTP sink (`python -m aiosmtpd ... -c aiosmtpd.handlers.Sink`), all
on loopback, and the real processes: `mosaic worker notifications` and the subgraphs under
uvicorn, as `mosaic dev` runs them. Nothing is pinned (the worker, PostgreSQL and Redis share
the machine's cores); the machine's load average is printed with the numbers.

- `throughput`: N `task.assigned` events for 10 recipients, each with email on (so every event
  is one stored notification with an in-app and an email delivery, and one email through
  SMTP), published to the Redis stream once the W workers are consuming; measured from the
  first publish until all N notifications are stored, and until all N emails are SENT.
- `latency`: a real mutation `assignTask` on the tasks subgraph (its outbox -> Redis) -> the
  worker (stores the notification, queues the email) -> `notification.created` on Redis
  pub/sub -> the notifications subgraph -> a `notificationAdded` subscriber over
  graphql-transport-ws. One round trip at a time; between two, `assignTask(null)` unassigns
  the task (an event that notifies nobody) so the next assignment is a change again.

  With `--via-router` the mutation and the subscription go through `mosaic router` (the
  repository's supergraph pointed at the two subgraphs) instead of straight to them.

Usage:
    .venv/bin/python -m bench.notifications.run throughput --events 1000 --workers 1
    .venv/bin/python -m bench.notifications.run latency --rounds 200 [--via-router]
    .venv/bin/python -m bench.notifications.run  # all of it, as `make bench` runs it
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import redis.asyncio as aioredis
from sqlalchemy import func, select
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from bench.harness.procs import cpu_seconds, process_tree
from db import Database, migrations
from mosaic.dev import point_supergraph_at
from subgraphs.common.events import Event, RedisEventBus
from subgraphs.common.keys import dev_signing_key
from subgraphs.common.settings import Settings
from subgraphs.common.tokens import mint_access_token
from subgraphs.notifications import MIGRATIONS
from subgraphs.notifications.models import Delivery, Notification
from subgraphs.tasks import MIGRATIONS as TASK_MIGRATIONS
from tests.subgraphs.notifications.conftest import add_recipient, add_templates
from tests.utils.servers import free_port, postgres_server, redis_server, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
SECRET = "bench-hs256-secret-0123456789abcdef"


@dataclass(frozen=True)
class Stack:
    env: dict[str, str]
    notifications: Database
    redis_url: str
    work: Path
    postgres_pid: int
    redis_pid: int

    def cpu(self, processes: dict[str, subprocess.Popen[bytes]]) -> dict[str, float]:
        """CPU seconds used so far: each of `processes`, PostgreSQL (the postmaster and its
        backends) and Redis."""
        found = {name: cpu_seconds([p.pid]) for name, p in processes.items()}
        found["postgres"] = cpu_seconds(process_tree(self.postgres_pid))
        found["redis"] = cpu_seconds([self.redis_pid])
        return found

    def spawn(self, *argv: str, name: str) -> subprocess.Popen[bytes]:
        log = (self.work / f"{name}.log").open("wb")
        return subprocess.Popen(
            [sys.executable, *argv], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(ROOT), **self.env},
        )  # fmt: skip

    def settings(self) -> Settings:
        values = {k.removeprefix("MOSAIC_").lower(): v for k, v in self.env.items()}
        return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def smtp_sink(port: int) -> subprocess.Popen[bytes]:
    """An SMTP server that accepts every message and keeps none (a separate process)."""
    return subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
         "-c", "aiosmtpd.handlers.Sink"], stdout=subprocess.DEVNULL,
    )  # fmt: skip


@contextlib.asynccontextmanager
async def stack() -> AsyncIterator[Stack]:
    work = Path(tempfile.mkdtemp(prefix="mosaic-notify-bench-"))
    smtp_port = free_port()
    with postgres_server() as postgres, redis_server() as redis:
        postgres.create_database("notifications")
        postgres.create_database("tasks")
        env = {
            "MOSAIC_ENV": "dev",
            "MOSAIC_DATA_DIR": str(work / "data"),
            "MOSAIC_DATABASE_URL": postgres.url("{subgraph}"),
            "MOSAIC_EVENT_BACKEND": "redis",
            "MOSAIC_REDIS_URL": redis.url(),
            "MOSAIC_SMTP_PORT": str(smtp_port),
            "MOSAIC_JWT_HS256_SECRET": SECRET,
        }
        await migrations.upgrade(postgres.url("notifications"), MIGRATIONS, "notifications")
        await migrations.upgrade(postgres.url("tasks"), TASK_MIGRATIONS, "tasks")
        db = Database.from_url(postgres.url("notifications"))
        await add_templates(db)
        sink = smtp_sink(smtp_port)
        postmaster = (postgres.directory / "data" / "postmaster.pid").read_text().split()[0]
        client = aioredis.Redis.from_url(redis.url())
        redis_pid = int((await client.info("server"))["process_id"])
        await client.aclose()
        try:
            wait_for_port(smtp_port)
            yield Stack(env, db, redis.url(), work, int(postmaster), redis_pid)
        finally:
            sink.terminate()
            sink.wait(10)
            await db.dispose()


@contextlib.contextmanager
def running(*processes: subprocess.Popen[bytes]) -> Iterator[None]:
    try:
        yield
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()


async def count(db: Database, *where: Any, model: Any = Notification) -> int:
    async with db.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)))


async def poll(check: Any, what: str, deadline: float, *processes: subprocess.Popen[bytes]) -> None:
    """Every 0.1 s: often enough to time a run of tens of seconds, rare enough that the
    counting queries cost PostgreSQL next to nothing."""
    end = time.monotonic() + deadline
    while not await check():
        for process in processes:
            if process.poll() is not None:
                raise SystemExit(f"a process stopped ({process.returncode}) waiting for {what}")
        if time.monotonic() > end:
            raise SystemExit(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def cpu_ms_per(before: dict[str, float], after: dict[str, float], n: int) -> dict[str, float]:
    """CPU milliseconds per event (or round trip) of each process between the two readings."""
    return {name: round((after[name] - before[name]) * 1000 / n, 2) for name in after}


async def throughput(events: int, workers: int) -> dict[str, Any]:
    async with stack() as s:
        users = [f"user-{n}" for n in range(10)]
        for user in users:
            await add_recipient(s.notifications, user, email=f"{user}@example.com")
        bus = RedisEventBus(s.redis_url)
        redis = aioredis.Redis.from_url(s.redis_url)
        procs = [
            s.spawn("-m", "mosaic", "worker", "notifications", name=f"worker{n}")
            for n in range(workers)
        ]
        with running(*procs):
            # Consuming: each worker joined the group (Redis lists a consumer once it read).
            probe = Event.new("bench.warmup", {}, None)
            await bus.publish_event(probe)

            async def joined() -> bool:
                try:
                    consumers: Any = await redis.xinfo_consumers("mosaic:events", "notifications")
                except aioredis.ResponseError:  # no group yet
                    return False
                return len(consumers) >= workers

            await poll(joined, "the workers to join the consumer group", 120, *procs)
            named = {f"worker{n}": p for n, p in enumerate(procs)}
            cpu_before = s.cpu(named)
            load_before = load()
            started = time.monotonic()
            async with redis.pipeline(transaction=False) as pipe:
                for n in range(events):
                    payload = {"task_id": f"t{n}", "title": f"Task {n}",
                               "assignee_id": users[n % len(users)]}  # fmt: skip
                    data = Event.new("task.assigned", payload, "bench").to_json()
                    pipe.xadd("mosaic:events", {"event": data})
                await pipe.execute()
            published = time.monotonic() - started
            stored_at = 0.0

            async def stored() -> bool:
                nonlocal stored_at
                if not stored_at and await count(s.notifications) >= events:
                    stored_at = time.monotonic() - started
                return bool(stored_at)

            async def sent() -> bool:
                if not await stored():
                    return False
                done = Delivery.channel == "email", Delivery.status == "SENT"
                return await count(s.notifications, *done, model=Delivery) >= events

            await poll(sent, f"{events} notifications and emails", 600, *procs)
            emailed_at = time.monotonic() - started
            load_after = load()
            cpu = cpu_ms_per(cpu_before, s.cpu(named), events)
        await bus.close()
        await redis.aclose()
        return {
            "mode": "throughput", "events": events, "workers": workers,
            "publish_seconds": round(published, 2),
            "stored_seconds": round(stored_at, 2),
            "stored_events_per_second": round(events / stored_at, 1),
            "emailed_seconds": round(emailed_at, 2),
            "emailed_events_per_second": round(events / emailed_at, 1),
            "cpu_ms_per_event": cpu,
            "load_before": load_before, "load_after": load_after,
        }  # fmt: skip


def router(s: Stack, urls: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    """`mosaic router` on the repository's supergraph, pointed at these subgraphs."""
    supergraph = s.work / "supergraph.graphql"
    committed = (ROOT / "schema" / "supergraph.graphql").read_text()
    supergraph.write_text(point_supergraph_at(committed, urls))
    port = free_port()
    process = s.spawn("-m", "mosaic", "router", "--supergraph", str(supergraph),
                      "--port", str(port), name="router")  # fmt: skip
    return process, port


async def latency(rounds: int, via_router: bool = False) -> dict[str, Any]:
    async with stack() as s:
        settings = s.settings()
        key = dev_signing_key(settings.data_dir)
        owner = mint_access_token(settings, key, "bench-owner", ["USER"])
        assignee = "bench-assignee"
        await add_recipient(s.notifications, assignee, email="assignee@example.com")
        tasks_port, notifications_port = free_port(), free_port()
        procs = [
            s.spawn("-m", "uvicorn", f"subgraphs.{name}.app:app", "--port", str(port),
                    "--ws", "websockets-sansio", "--no-access-log", "--log-level", "warning",
                    name=name)
            for name, port in (("tasks", tasks_port), ("notifications", notifications_port))
        ]  # fmt: skip
        procs.append(s.spawn("-m", "mosaic", "worker", "notifications", name="worker"))
        named = dict(zip(("tasks", "notifications", "worker"), procs, strict=True))
        ports = [tasks_port, notifications_port]
        tasks_url = f"http://127.0.0.1:{tasks_port}/graphql"
        ws_url = f"ws://127.0.0.1:{notifications_port}/graphql"
        if via_router:  # the mutation and the subscription both through the router
            urls = {name: f"http://127.0.0.1:{port}/graphql"
                    for name, port in (("tasks", tasks_port),
                                       ("notifications", notifications_port))}  # fmt: skip
            named["router"], router_port = router(s, urls)
            procs.append(named["router"])
            ports.append(router_port)
            tasks_url = f"http://127.0.0.1:{router_port}/graphql"
            ws_url = f"ws://127.0.0.1:{router_port}/graphql"
        with running(*procs):
            for port in ports:
                wait_for_port(port, 60)
            async with httpx.AsyncClient(timeout=30) as http:

                async def tasks(query: str, variables: dict[str, Any]) -> Any:
                    r = await http.post(tasks_url, json={"query": query, "variables": variables},
                                        headers={"authorization": f"Bearer {owner}"})  # fmt: skip
                    body = r.json()
                    assert not body.get("errors"), body
                    return body["data"]

                project = await tasks(
                    "mutation ($m: [ID!]!) { createProject(input: {name: \"Bench\", "
                    "memberIds: $m}) { id } }", {"m": [assignee]})  # fmt: skip
                task = await tasks(
                    "mutation ($p: ID!) { createTask(input: {projectId: $p, title: \"Bench\"}) "
                    "{ id } }", {"p": project["createProject"]["id"]})  # fmt: skip
                task_id = task["createTask"]["id"]
                assign = "mutation ($t: ID!, $a: ID) { assignTask(id: $t, assigneeId: $a) { id } }"
                token = mint_access_token(settings, key, assignee, ["USER"])
                async with connect(ws_url, subprotocols=[Subprotocol("graphql-transport-ws")],
                                   proxy=None) as ws:  # fmt: skip
                    init = {"authorization": f"Bearer {token}"}
                    await ws.send(json.dumps({"type": "connection_init", "payload": init}))
                    assert json.loads(await ws.recv())["type"] == "connection_ack"
                    query = "subscription { notificationAdded { id type title } }"
                    await ws.send(json.dumps({"id": "1", "type": "subscribe",
                                              "payload": {"query": query}}))  # fmt: skip
                    # Subscribed on the subgraph: wait until it listens on Redis pub/sub.
                    redis = aioredis.Redis.from_url(s.redis_url)

                    async def listening() -> bool:
                        channel = "mosaic:events:notification.created"
                        ((_, n),) = await redis.pubsub_numsub(channel)
                        return int(n) > 0

                    await poll(listening, "the subscription", 60, *procs)
                    await redis.aclose()
                    load_before = load()
                    cpu_before = s.cpu(named)
                    ms: list[float] = []
                    for n in range(rounds + 5):  # the first 5 warm up
                        sent = time.monotonic()
                        await tasks(assign, {"t": task_id, "a": assignee})
                        message = json.loads(await asyncio.wait_for(ws.recv(), 60))
                        elapsed = (time.monotonic() - sent) * 1000
                        added = message["payload"]["data"]["notificationAdded"]
                        assert added["type"] == "task.assigned", message
                        if n >= 5:
                            ms.append(elapsed)
                        await tasks(assign, {"t": task_id, "a": None})
                    load_after = load()
                    cpu = cpu_ms_per(cpu_before, s.cpu(named), rounds + 5)
        ordered = sorted(ms)
        return {
            "mode": "latency", "via": "router" if via_router else "subgraphs",
            "rounds": len(ms),
            "latency_ms_median": round(statistics.median(ms), 1),
            "latency_ms_p99": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 1),
            "latency_ms_min": round(ordered[0], 1), "latency_ms_max": round(ordered[-1], 1),
            "cpu_ms_per_round_trip": cpu,
            "load_before": load_before, "load_after": load_after,
        }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", nargs="?", choices=("throughput", "latency", "all"), default="all")
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=None, help="default: 1, then 2")
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument(
        "--via-router",
        action="store_true",
        help="latency: mutation and subscription via the router",
    )
    args = parser.parse_args()
    if args.mode in ("throughput", "all"):
        for workers in [args.workers] if args.workers else [1, 2]:
            print(json.dumps(asyncio.run(throughput(args.events, workers))), flush=True)
    if args.mode == "latency":
        print(json.dumps(asyncio.run(latency(args.rounds, args.via_router))), flush=True)
    if args.mode == "all":
        for via_router in (False, True):
            print(json.dumps(asyncio.run(latency(args.rounds, via_router))), flush=True)


if __name__ == "__main__":
    main()
