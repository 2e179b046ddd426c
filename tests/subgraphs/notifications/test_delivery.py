"""Email and webhook delivery against a real SMTP server (aiosmtpd) and a real HTTP server on
loopback: signed webhooks, retries with backoff, dead letters and their replay, and the
per-channel circuit breaker."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from pathlib import Path

from sqlalchemy import select

from db import Database
from subgraphs.common.events import InProcessEventBus
from subgraphs.common.settings import Settings
from subgraphs.notifications.channels import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    CircuitBreaker,
    EmailChannel,
    WebhookChannel,
)
from subgraphs.notifications.delivery import (
    DEAD_LETTERS,
    Deliverer,
    RetryPolicy,
    list_dead_letters,
    replay,
)
from subgraphs.notifications.models import Delivery
from subgraphs.notifications.worker import handle
from tests.subgraphs.notifications.channel_servers import Mailbox, smtp_server, webhook_server
from tests.subgraphs.notifications.conftest import ALICE, add_recipient, task_assigned
from tests.utils.servers import free_port

SECRET = "webhook-secret-0123456789abcdef0123"
FAST = RetryPolicy(max_attempts=3, base_seconds=0.01, max_seconds=0.05)


def deliverer(db: Database, tmp_path: Path, smtp_port: int, **channels: object) -> Deliverer:
    settings = Settings(_env_file=None, data_dir=tmp_path, smtp_port=smtp_port)  # type: ignore[call-arg]
    found = {"email": EmailChannel(settings, timeout=5), **channels}
    return Deliverer(db, found, FAST, InProcessEventBus())  # type: ignore[arg-type]


async def statuses(db: Database) -> dict[str, str]:
    async with db.sessions() as session:
        rows = (await session.scalars(select(Delivery))).all()
    return {row.channel: row.status for row in rows}


async def until(db: Deliverer, wanted: dict[str, str], deadline: float = 30.0) -> None:
    """Run delivery passes until the deliveries reach `wanted` (or fail at the deadline)."""
    end = time.monotonic() + deadline
    while (found := await statuses(db.db)) != wanted:
        assert time.monotonic() < end, f"deliveries are {found}, wanted {wanted}"
        if not await db.run_once():
            await asyncio.sleep(0.02)


async def test_email_and_signed_webhook_are_delivered(
    notifications_db: Database, tmp_path: Path
) -> None:
    async with webhook_server() as hooks:
        await add_recipient(
            notifications_db,
            ALICE,
            email="alice@example.com",
            webhook_url=hooks.url,
            channels={"webhook": True},
        )
        with smtp_server() as mailbox:
            webhook = WebhookChannel(SECRET)
            worker = deliverer(notifications_db, tmp_path, mailbox.port, webhook=webhook)  # type: ignore[attr-defined]
            assert await handle(notifications_db, None, task_assigned(ALICE, "Mail me")) == 1
            await until(worker, {"in_app": "SENT", "email": "SENT", "webhook": "SENT"})
            await webhook.aclose()
        (mail,) = mailbox.messages
        assert mail["To"] == "alice@example.com"
        assert mail["Subject"] == "Task assigned: Mail me"
        (headers, body) = hooks.received[0]
        assert len(hooks.received) == 1
    timestamp = headers[TIMESTAMP_HEADER.lower()]
    expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    assert headers[SIGNATURE_HEADER.lower()] == "sha256=" + expected.hexdigest()
    assert abs(int(timestamp) - time.time()) < 300
    assert b'"title":"Task assigned: Mail me"' in body


async def test_smtp_down_retries_then_dead_letter_then_replay_succeeds(
    notifications_db: Database, tmp_path: Path
) -> None:
    await add_recipient(notifications_db, ALICE, email="alice@example.com")
    port = free_port()  # nothing listens there yet
    worker = deliverer(notifications_db, tmp_path, port)
    await handle(notifications_db, None, task_assigned(ALICE, "Later"))
    await until(worker, {"in_app": "SENT", "email": "DEAD"})
    letters = worker.dead_letters
    (dead,) = await list_dead_letters(notifications_db, letters)
    assert dead.status == "DEAD" and dead.entry.data["attempts"] == FAST.max_attempts
    assert str(dead.entry.data["error"]).startswith("SMTP:")

    mailbox = Mailbox()
    with smtp_server(port, mailbox):
        assert await replay(notifications_db, letters) == 1
        assert await letters.dead_letters(DEAD_LETTERS) == []  # the letter was taken
        assert await replay(notifications_db, letters) == 0
        await until(worker, {"in_app": "SENT", "email": "SENT"})
    assert [m["Subject"] for m in mailbox.messages] == ["Task assigned: Later"]


async def test_a_second_letter_for_one_delivery_replays_it_once(
    notifications_db: Database, tmp_path: Path
) -> None:
    """A worker that died between writing the letter and marking the delivery DEAD leaves a
    second letter for it when another worker gives up on it again: one replay queues it once."""
    await add_recipient(notifications_db, ALICE, email="alice@example.com")
    worker = deliverer(notifications_db, tmp_path, free_port())
    await handle(notifications_db, None, task_assigned(ALICE, "Twice"))
    await until(worker, {"in_app": "SENT", "email": "DEAD"})
    (dead,) = await list_dead_letters(notifications_db, worker.dead_letters)
    await worker.dead_letters.add_dead_letter(DEAD_LETTERS, dict(dead.entry.data))
    assert await replay(notifications_db, worker.dead_letters, [dead.delivery_id]) == 1
    assert await worker.dead_letters.dead_letters(DEAD_LETTERS) == []
    assert await statuses(notifications_db) == {"in_app": "SENT", "email": "QUEUED"}


def test_circuit_breaker_opens_after_five_failures_and_half_opens() -> None:
    breaker = CircuitBreaker(threshold=5, reset_seconds=60)
    for _ in range(4):
        assert breaker.allow()
        breaker.failed()
    assert breaker.state == "closed"
    breaker.failed()
    assert breaker.state == "open" and not breaker.allow()
    assert 0 < breaker.retry_in() <= 60
    breaker.opened_at = time.monotonic() - 61  # a minute passed
    assert breaker.state == "half-open"
    assert breaker.allow() and not breaker.allow()  # one trial only
    breaker.failed()
    assert breaker.state == "open"
    breaker.opened_at = time.monotonic() - 61
    assert breaker.allow()
    breaker.succeeded()
    assert breaker.state == "closed" and breaker.allow()


def test_backoff_doubles_with_jitter_up_to_the_limit() -> None:
    policy = RetryPolicy(max_attempts=10, base_seconds=1.0, max_seconds=30.0)
    for attempts, middle in ((1, 1.0), (2, 2.0), (3, 4.0), (6, 30.0), (9, 30.0)):
        delays = [policy.delay(attempts) for _ in range(200)]
        assert all(middle * 0.5 <= delay <= middle * 1.5 for delay in delays), attempts
        # Jitter: workers that failed together do not retry together. 200 draws from
        # ±50 % spread over most of the range (a fixed delay would be one value).
        assert len(set(delays)) > 150, attempts
        assert max(delays) - min(delays) > middle * 0.5, attempts
