"""The delivery loop: sends queued email and webhook deliveries, retries failures with
exponential backoff and jitter, and makes a delivery a dead letter after the last attempt.

A dead letter is an entry of the dead-letter stream `notifications` on the event bus (Redis in
production, the dev log in `make dev`) and the delivery's status DEAD. The entry is written
first: a worker that dies between the two leaves its claim to expire, another worker tries
the delivery again, and at worst the stream holds a second entry for it, which a replay
recognises (the database's status decides; each delivery is queued again once).

Several workers may run it at once: a delivery is claimed by a compare-and-set UPDATE (status
SENDING with a lease), so only one worker sends it; a worker that dies mid-send leaves a
SENDING row whose lease expires, and another worker sends it again (at least once; the email's
Message-ID and the webhook's X-Mosaic-Delivery header carry the delivery id for receivers
that deduplicate).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select, update

from db import Database
from subgraphs.common.events import DeadLetter, DeadLetterStream
from subgraphs.common.settings import Settings
from subgraphs.notifications.breakers import Breakers, LocalBreakers, RedisBreakers
from subgraphs.notifications.channels import Channel, EmailChannel, Message, WebhookChannel
from subgraphs.notifications.models import Delivery, Notification, Recipient

log = logging.getLogger("mosaic.notifications.delivery")

DEAD_LETTERS = "notifications"  # the dead-letter stream's queue name on the bus
LEASE = timedelta(seconds=60)  # a claimed delivery is another worker's again after this
BATCH = 50


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    base_seconds: float
    max_seconds: float

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(
            settings.notification_max_attempts,
            settings.notification_retry_base_seconds,
            settings.notification_retry_max_seconds,
        )

    def delay(self, attempts: int) -> float:
        """Seconds before the next try after `attempts` failed ones (full doubling, ±50 %)."""
        raw = self.base_seconds * 2 ** max(0, attempts - 1)
        return min(self.max_seconds, raw) * random.uniform(0.5, 1.5)


@dataclass
class Deliverer:
    db: Database
    channels: Mapping[str, Channel]
    policy: RetryPolicy
    dead_letters: DeadLetterStream
    breakers: Breakers = field(default_factory=LocalBreakers)

    async def due(self, now: datetime) -> list[str]:
        """Ids of deliveries to try now (queued, retrying, or a dead worker's expired claim)."""
        async with self.db.sessions() as session:
            rows = await session.scalars(
                select(Delivery.id)
                .where(
                    Delivery.status.in_(("QUEUED", "RETRYING", "SENDING")),
                    Delivery.next_attempt_at <= now,
                    Delivery.channel.in_(list(self.channels)),
                )
                .order_by(Delivery.next_attempt_at)
                .limit(BATCH)
            )
            return list(rows)

    async def claim(self, delivery_id: str, now: datetime) -> bool:
        async with self.db.sessions() as session, session.begin():
            result = await session.execute(
                update(Delivery)
                .where(
                    Delivery.id == delivery_id,
                    or_(
                        Delivery.status.in_(("QUEUED", "RETRYING")),
                        Delivery.status == "SENDING",
                    ),
                    Delivery.next_attempt_at <= now,
                )
                .values(status="SENDING", next_attempt_at=now + LEASE, updated_at=now)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def message(self, delivery_id: str) -> tuple[Delivery, Message | None]:
        """The delivery and what to send (None: the recipient has no address for it), read
        in one query: this runs for every email and webhook."""
        async with self.db.sessions() as session:
            row = (
                await session.execute(
                    select(Delivery, Notification, Recipient)
                    .join(Notification, Notification.id == Delivery.notification_id)
                    .outerjoin(Recipient, Recipient.user_id == Notification.recipient_id)
                    .where(Delivery.id == delivery_id)
                )
            ).one()
        delivery, notification, recipient = row
        address = None
        if recipient is not None:
            address = recipient.email if delivery.channel == "email" else recipient.webhook_url
        if address is None:
            return delivery, None
        return delivery, Message(
            delivery_id=delivery.id,
            notification_id=notification.id,
            type=notification.type,
            title=notification.title,
            body=notification.body,
            recipient_id=notification.recipient_id,
            address=address,
            data=dict(notification.data or {}),
        )

    async def attempt(self, delivery_id: str) -> str | None:
        """Try one delivery if this worker claims it; its new status (None: not claimed)."""
        now = utcnow()
        if not await self.claim(delivery_id, now):
            return None
        delivery, message = await self.message(delivery_id)
        channel = delivery.channel
        if message is None:
            return await self._finish(delivery, "DEAD", "the recipient has no address", False)
        if not await self.breakers.allow(channel):
            # Not an attempt: wait for the breaker instead of burning the retry budget.
            retry_in = await self.breakers.retry_in(channel)
            await self._set(delivery.id, status="RETRYING", next_in=retry_in)
            return "RETRYING"
        try:
            await self.channels[channel].send(message)
        except Exception as error:  # every failure is a retry; the message names the cause
            await self.breakers.failed(channel)
            return await self._finish(delivery, None, str(error) or type(error).__name__, True)
        await self.breakers.succeeded(channel)
        return await self._finish(delivery, "SENT", None, True)

    async def _finish(
        self, delivery: Delivery, status: str | None, error: str | None, attempted: bool
    ) -> str:
        attempts = delivery.attempts + (1 if attempted else 0)
        next_in = 0.0
        if status is None:  # failed: retry, or give up
            if attempts >= self.policy.max_attempts:
                status = "DEAD"
                log.warning(
                    "delivery %s (%s) is a dead letter after %d attempts: %s",
                    delivery.id,
                    delivery.channel,
                    attempts,
                    error,
                )
            else:
                status = "RETRYING"
                next_in = self.policy.delay(attempts)
                log.info(
                    "delivery %s (%s) failed (attempt %d), retry in %.1fs: %s",
                    delivery.id,
                    delivery.channel,
                    attempts,
                    next_in,
                    error,
                )
        if status == "DEAD":
            letter = {
                "delivery_id": delivery.id,
                "notification_id": delivery.notification_id,
                "channel": delivery.channel,
                "attempts": attempts,
                "error": error,
                "failed_at": utcnow().isoformat(),
            }
            await self.dead_letters.add_dead_letter(DEAD_LETTERS, letter)
        await self._set(
            delivery.id, status=status, attempts=attempts, last_error=error, next_in=next_in
        )
        return status

    async def _set(
        self,
        delivery_id: str,
        *,
        status: str,
        next_in: float,
        attempts: int | None = None,
        last_error: str | None = None,
    ) -> None:
        now = utcnow()
        values: dict[str, object] = {
            "status": status,
            "next_attempt_at": now + timedelta(seconds=next_in),
            "updated_at": now,
        }
        if attempts is not None:
            values["attempts"] = attempts
            values["last_error"] = last_error
        async with self.db.sessions() as session, session.begin():
            await session.execute(update(Delivery).where(Delivery.id == delivery_id).values(values))

    async def run_once(self) -> int:
        """Try every due delivery once; how many were tried."""
        tried = 0
        for delivery_id in await self.due(utcnow()):
            if await self.attempt(delivery_id) is not None:
                tried += 1
        return tried

    async def run(self, idle: float = 0.5) -> None:
        while True:
            try:
                tried = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("delivery pass failed; retrying")
                tried = 0
            if not tried:
                await asyncio.sleep(idle)


def breakers_from_settings(settings: Settings) -> Breakers:
    """Shared by every worker through Redis when the events go through Redis; else this
    process's own."""
    if settings.event_backend == "redis" and settings.redis_url:
        return RedisBreakers(settings.redis_url)
    return LocalBreakers()


def channels_from_settings(settings: Settings) -> dict[str, Channel]:
    found: dict[str, Channel] = {"email": EmailChannel(settings)}
    if settings.notification_webhook_secret:
        found["webhook"] = WebhookChannel(settings.notification_webhook_secret)
    return found


@dataclass(frozen=True)
class Letter:
    """A dead letter as `mosaic notifications dead-letters` shows it: the stream entry and
    its delivery's status now (DEAD until replayed)."""

    entry: DeadLetter
    status: str | None  # None: the delivery no longer exists

    @property
    def delivery_id(self) -> str:
        return str(self.entry.data.get("delivery_id", ""))


async def list_dead_letters(
    db: Database, letters: DeadLetterStream, limit: int | None = 100
) -> list[Letter]:
    """The dead-letter stream's entries, newest first, with their deliveries' statuses."""
    entries = await letters.dead_letters(DEAD_LETTERS, limit)
    ids = [str(entry.data.get("delivery_id", "")) for entry in entries]
    async with db.sessions() as session:
        rows = await session.execute(
            select(Delivery.id, Delivery.status).where(Delivery.id.in_(ids))
        )
        statuses = {row.id: row.status for row in rows}
    return [Letter(entry, statuses.get(i)) for entry, i in zip(entries, ids, strict=True)]


async def replay(db: Database, letters: DeadLetterStream, ids: list[str] | None = None) -> int:
    """Queue the dead letters again (all, or those whose entry or delivery id is in `ids`)
    with a fresh retry budget, and remove their entries; how many deliveries were queued.

    The delivery's DEAD -> QUEUED change is a compare-and-set, so a letter replayed twice (two
    operators, a repeated command, a second entry for one delivery) queues it once."""
    replayed = 0
    for letter in await letters.dead_letters(DEAD_LETTERS):
        delivery_id = str(letter.data.get("delivery_id", ""))
        if ids and letter.id not in ids and delivery_id not in ids:
            continue
        now = utcnow()
        async with db.sessions() as session, session.begin():
            result = await session.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id, Delivery.status == "DEAD")
                .values(status="QUEUED", attempts=0, next_attempt_at=now, updated_at=now)
            )
            replayed += int(result.rowcount or 0)  # type: ignore[attr-defined]
        await letters.remove_dead_letter(DEAD_LETTERS, letter.id)
    return replayed
