"""Events across processes with nothing to install: one SQLite file in WAL mode that every
`make dev` process appends to and reads from (the dev default, `MOSAIC_EVENT_BACKEND=sqlite`).

It keeps the semantics of the Redis backend, so code written in dev behaves the same in
production (the contract suite runs both):
- `events`: the log, in `seq` order (Redis: the stream), trimmed to `maxlen` entries.
- `groups`: each consumer group's next new `seq` (Redis: the group's last-delivered id).
- `pending`: handed out, not yet acknowledged, with the consumer and when
  (Redis: the pending entries list); a dead consumer's entries are claimable after
  `claim_idle` seconds (XAUTOCLAIM).
- `dead_letters`: the dead-letter streams, one `queue` each (Redis: a stream per queue).
Readers poll (every `poll` seconds) instead of blocking: SQLite has no notifications across
processes, and a dev machine does not notice a 50 ms delay.

Every statement runs in a worker thread (`asyncio.to_thread`): a write may wait for the
file's lock, and that wait must not stop the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable, Collection, Mapping
from pathlib import Path
from typing import Any, TypeVar

import orjson

from subgraphs.common.events.bus import DEFAULT_CLAIM_IDLE_SECONDS, DeadLetter
from subgraphs.common.events.envelope import Event, matches

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, type TEXT NOT NULL, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS groups (name TEXT PRIMARY KEY, next_seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS pending (
    grp TEXT NOT NULL, seq INTEGER NOT NULL, consumer TEXT NOT NULL, delivered_at REAL NOT NULL,
    PRIMARY KEY (grp, seq));
CREATE TABLE IF NOT EXISTS dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL, data BLOB NOT NULL);
"""

_TRIM_EVERY = 1000


class SqliteLogEventBus:
    def __init__(
        self,
        path: Path,
        *,
        maxlen: int = 100_000,
        claim_idle: float = DEFAULT_CLAIM_IDLE_SECONDS,
        poll: float = 0.05,
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # autocommit (isolation_level=None): each statement commits unless we BEGIN.
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._lock = threading.Lock()  # one connection, used by one thread at a time
        self._maxlen = maxlen
        self._claim_idle = claim_idle
        self._poll = poll
        with self._lock:
            self._db.execute("PRAGMA busy_timeout=30000")
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)

    async def _run(self, work: Callable[..., T], *args: Any) -> T:
        def locked() -> T:
            with self._lock:
                return work(self._db, *args)

        return await asyncio.to_thread(locked)

    async def publish(
        self, type: str, payload: Mapping[str, Any], *, actor_id: str | None = None
    ) -> Event:
        event = Event.new(type, payload, actor_id)
        await self.publish_event(event)
        return event

    async def publish_event(self, event: Event) -> None:
        data = event.to_json()

        def append(db: sqlite3.Connection) -> None:
            seq = db.execute(
                "INSERT INTO events (type, data) VALUES (?, ?)", (event.type, data)
            ).lastrowid
            if seq is not None and seq % _TRIM_EVERY == 0:
                db.execute("DELETE FROM events WHERE seq <= ?", (seq - self._maxlen,))

        await self._run(append)

    @contextlib.asynccontextmanager
    async def subscribe(
        self, types: Collection[str] | None = None
    ) -> AsyncIterator[AsyncIterator[Event]]:
        wanted = frozenset(types) if types is not None else None
        last: int = await self._run(
            lambda db: db.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
        )

        async def events() -> AsyncIterator[Event]:
            nonlocal last
            while True:
                rows = await self._run(_after, last)
                if not rows:
                    await asyncio.sleep(self._poll)
                for seq, data in rows:
                    last = seq
                    event = Event.from_json(data)
                    if matches(event, wanted):
                        yield event

        yield events()

    async def consume(
        self, group: str, consumer: str, types: Collection[str] | None = None
    ) -> AsyncIterator[Event]:
        await self._run(
            lambda db: db.execute(
                "INSERT OR IGNORE INTO groups (name, next_seq) "
                "SELECT ?, coalesce(min(seq), 1) FROM events",
                (group,),
            )
        )
        while True:
            taken = await self._run(self._take, group, consumer)
            if taken is None:
                await asyncio.sleep(self._poll)
                continue
            seq, data = taken
            if data is not None:  # None: trimmed off the log meanwhile
                event = Event.from_json(data)
                if matches(event, types):
                    yield event
            # Acknowledged: the consumer asked for the next event.
            await self._run(_ack, group, seq)

    def _take(
        self, db: sqlite3.Connection, group: str, consumer: str
    ) -> tuple[int, bytes | None] | None:
        now = time.time()
        cutoff = now - self._claim_idle
        # A read first, so idle consumers never take the file's write lock.
        (work,) = db.execute(
            "SELECT EXISTS (SELECT 1 FROM pending WHERE grp = ?1 AND "
            "(consumer = ?2 OR delivered_at <= ?3)) OR EXISTS (SELECT 1 FROM events "
            "WHERE seq >= (SELECT next_seq FROM groups WHERE name = ?1))",
            (group, consumer, cutoff),
        ).fetchone()
        if not work:
            return None
        db.execute("BEGIN IMMEDIATE")
        try:
            # Own unacknowledged events first (a restart), then a dead consumer's, then new.
            row = (
                db.execute(
                    "SELECT seq FROM pending WHERE grp = ? AND consumer = ? ORDER BY seq LIMIT 1",
                    (group, consumer),
                ).fetchone()
                or db.execute(
                    "SELECT seq FROM pending WHERE grp = ? AND delivered_at <= ? "
                    "ORDER BY seq LIMIT 1",
                    (group, cutoff),
                ).fetchone()
            )
            if row is not None:
                seq = row[0]
                db.execute(
                    "UPDATE pending SET consumer = ?, delivered_at = ? WHERE grp = ? AND seq = ?",
                    (consumer, now, group, seq),
                )
            else:
                row = db.execute(
                    "SELECT seq FROM events WHERE seq >= (SELECT next_seq FROM groups "
                    "WHERE name = ?) ORDER BY seq LIMIT 1",
                    (group,),
                ).fetchone()
                if row is None:
                    db.execute("COMMIT")
                    return None
                seq = row[0]
                db.execute("UPDATE groups SET next_seq = ? WHERE name = ?", (seq + 1, group))
                db.execute(
                    "INSERT INTO pending (grp, seq, consumer, delivered_at) VALUES (?, ?, ?, ?)",
                    (group, seq, consumer, now),
                )
            found = db.execute("SELECT data FROM events WHERE seq = ?", (seq,)).fetchone()
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return seq, None if found is None else found[0]

    async def add_dead_letter(self, queue: str, data: Mapping[str, Any]) -> str:
        row_id = await self._run(
            lambda db: (
                db.execute(
                    "INSERT INTO dead_letters (queue, data) VALUES (?, ?)",
                    (queue, orjson.dumps(data)),
                ).lastrowid
            )
        )
        return str(row_id)

    async def dead_letters(self, queue: str, limit: int | None = None) -> list[DeadLetter]:
        rows = await self._run(
            lambda db: db.execute(
                "SELECT id, data FROM dead_letters WHERE queue = ? ORDER BY id DESC LIMIT ?",
                (queue, -1 if limit is None else limit),
            ).fetchall()
        )
        return [DeadLetter(str(row_id), orjson.loads(data)) for row_id, data in rows]

    async def remove_dead_letter(self, queue: str, letter_id: str) -> bool:
        if not letter_id.isdigit():
            return False
        removed = await self._run(
            lambda db: (
                db.execute(
                    "DELETE FROM dead_letters WHERE queue = ? AND id = ?", (queue, int(letter_id))
                ).rowcount
            )
        )
        return bool(removed)

    async def ping(self) -> None:
        await self._run(lambda db: db.execute("SELECT 1").fetchone())

    async def close(self) -> None:
        await self._run(lambda db: db.close())


def _after(db: sqlite3.Connection, last: int) -> list[tuple[int, bytes]]:
    return db.execute(
        "SELECT seq, data FROM events WHERE seq > ? ORDER BY seq LIMIT 500", (last,)
    ).fetchall()


def _ack(db: sqlite3.Connection, group: str, seq: int) -> None:
    db.execute("DELETE FROM pending WHERE grp = ? AND seq = ?", (group, seq))
