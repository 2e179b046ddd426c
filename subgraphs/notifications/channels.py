"""Delivery channels: email over SMTP and signed webhooks, each behind a circuit breaker.

A channel's `send` raises `DeliveryError` (or any exception) when the message did not go out;
the delivery loop (`delivery.py`) retries it later. Secrets (SMTP password, webhook key) are
never part of an error message.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

import aiosmtplib
import httpx
import orjson

from subgraphs.common.settings import Settings

SIGNATURE_HEADER = "X-Mosaic-Signature"
TIMESTAMP_HEADER = "X-Mosaic-Timestamp"
DELIVERY_HEADER = "X-Mosaic-Delivery"


class DeliveryError(Exception):
    """The message did not go out (the message says why, without secrets)."""


@dataclass(frozen=True)
class Message:
    delivery_id: str
    notification_id: str
    type: str
    title: str
    body: str
    recipient_id: str
    address: str  # the email address or the webhook URL
    data: dict[str, object]


class Channel(Protocol):
    name: str

    async def send(self, message: Message) -> None: ...


class EmailChannel:
    name = "email"

    def __init__(self, settings: Settings, *, timeout: float = 10.0) -> None:
        self.settings = settings
        self.timeout = timeout

    async def send(self, message: Message) -> None:
        email = EmailMessage()
        email["From"] = self.settings.notification_email_from
        email["To"] = message.address
        email["Subject"] = message.title
        # The delivery id: a receiver (and the tests) can tell a resend from a new message.
        email["Message-ID"] = f"<{message.delivery_id}@mosaic.notifications>"
        email.set_content(message.body or message.title)
        try:
            await aiosmtplib.send(
                email,
                hostname=self.settings.smtp_host,
                port=self.settings.smtp_port,
                username=self.settings.smtp_username,
                password=self.settings.smtp_password,
                start_tls=self.settings.smtp_starttls,
                timeout=self.timeout,
            )
        except (aiosmtplib.SMTPException, OSError) as error:
            raise DeliveryError(f"SMTP: {type(error).__name__}: {error}") from None


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=` + hex HMAC-SHA256 of `timestamp.body` (receivers refuse old timestamps)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


class WebhookChannel:
    name = "webhook"

    def __init__(self, secret: str, *, timeout: float = 10.0) -> None:
        self.secret = secret
        self.http = httpx.AsyncClient(timeout=timeout, follow_redirects=False)

    async def send(self, message: Message) -> None:
        body = orjson.dumps(
            {
                "id": message.notification_id,
                "type": message.type,
                "title": message.title,
                "body": message.body,
                "recipientId": message.recipient_id,
                "data": message.data,
            }
        )
        timestamp = str(int(time.time()))
        headers = {
            "content-type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(self.secret, timestamp, body),
            DELIVERY_HEADER: message.delivery_id,
        }
        try:
            response = await self.http.post(message.address, content=body, headers=headers)
        except httpx.HTTPError as error:
            raise DeliveryError(f"webhook: {type(error).__name__}") from None
        if response.status_code >= 300:
            raise DeliveryError(f"webhook: HTTP {response.status_code}")

    async def aclose(self) -> None:
        await self.http.aclose()


class CircuitBreaker:
    """Closed until `threshold` failures in a row; then open (nothing is tried) for
    `reset_seconds`; then half-open: one trial, which closes it on success or opens it again."""

    def __init__(self, threshold: int = 5, reset_seconds: float = 60.0) -> None:
        self.threshold = threshold
        self.reset_seconds = reset_seconds
        self.failures = 0
        self.opened_at: float | None = None
        self.trial = False

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        if time.monotonic() - self.opened_at >= self.reset_seconds:
            return "half-open"
        return "open"

    def allow(self) -> bool:
        state = self.state
        if state == "closed":
            return True
        if state == "half-open" and not self.trial:
            self.trial = True
            return True
        return False

    def retry_in(self) -> float:
        """Seconds until a blocked delivery may be tried."""
        if self.opened_at is None:
            return 0.0
        return max(0.0, self.reset_seconds - (time.monotonic() - self.opened_at))

    def succeeded(self) -> None:
        self.failures = 0
        self.opened_at = None
        self.trial = False

    def failed(self) -> None:
        self.failures += 1
        if self.trial or self.failures >= self.threshold:
            self.opened_at = time.monotonic()
        self.trial = False
