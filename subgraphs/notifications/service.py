"""Domain rules and transactions of notifications; no GraphQL here.

The worker calls `apply_user_event` and `notify` inside its unit of work (with
`first_delivery`, so a redelivered event changes nothing); resolvers call the rest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.auth import Caller
from subgraphs.common.errors import BadUserInput, Forbidden, Unauthenticated
from subgraphs.common.events import Event
from subgraphs.common.unit_of_work import UnitOfWork
from subgraphs.common.writes import lock_key
from subgraphs.notifications import rendering
from subgraphs.notifications.events import recipients_of, subject_of
from subgraphs.notifications.models import Delivery, Notification, Recipient, Template

Unit = UnitOfWork[Caller | None]
SYSTEM: Caller | None = None  # the worker and the seed act for nobody

CHANNELS = ("in_app", "email", "webhook")
DEFAULT_CHANNELS = {"in_app": True, "email": True, "webhook": False}
DEFAULT_LOCALE = "en"
NOTIFICATION_CREATED = "notification.created"
MAX_BULK_RECIPIENTS = 1000
MAX_MARK_READ = 500


def require_user(caller: Caller | None) -> Caller:
    if caller is None:
        raise Unauthenticated("Sign in first: this needs an access token")
    return caller


def require_admin(caller: Caller | None) -> Caller:
    caller = require_user(caller)
    if not caller.is_admin:
        raise Forbidden("Only an admin may do this")
    return caller


# --- the recipients' copy -------------------------------------------------------------------


async def recipient(session: AsyncSession, user_id: str) -> Recipient:
    """The stored copy, or a new one with the defaults (added to the session)."""
    row = await session.get(Recipient, user_id)
    if row is None:
        row = Recipient(
            user_id=user_id, name="", locale=DEFAULT_LOCALE, channels={}, opt_outs=[], per_type={}
        )
        session.add(row)
    return row


async def apply_user_event(session: AsyncSession, event: Event) -> None:
    """Keep the recipients' copy current from `user.*` events (each carries the whole profile
    or the whole preferences, so the newest event wins, whatever order they arrive in)."""
    payload = event.payload
    user_id = payload.get("user_id")
    if not user_id:
        return
    # Locked (PostgreSQL; SQLite's unit of work holds the write lock already): two workers
    # applying two events of one user take turns, and the second sees what the first wrote.
    row = await session.get(Recipient, str(user_id), with_for_update=True)
    if row is None:
        row = await recipient(session, str(user_id))
    happened = event.occurred_at
    if any(key in payload for key in ("name", "email")) and _newer(happened, row.profile_at):
        for key in ("name", "email"):
            if isinstance(payload.get(key), str) and payload[key]:
                setattr(row, key, payload[key])
        row.profile_at = row.updated_at = happened
    preferences = payload.get("preferences")
    if isinstance(preferences, Mapping) and _newer(happened, row.preferences_at):
        channels = preferences.get("channels") or {}
        row.channels = {
            **row.channels,
            **{k: bool(v) for k, v in channels.items() if k in CHANNELS},
        }
        row.opt_outs = sorted({str(t) for t in preferences.get("opt_outs") or []})
        row.preferences_at = row.updated_at = happened


def _newer(happened: datetime, applied: datetime | None) -> bool:
    return applied is None or happened > applied


def enabled_channels(row: Recipient, event_type: str) -> list[str]:
    """The channels the recipient wants `event_type` on (none when they opted out of it)."""
    if event_type in (row.opt_outs or []):
        return []
    overrides = (row.per_type or {}).get(event_type, {})
    wanted = []
    for channel in CHANNELS:
        on = overrides.get(channel, (row.channels or {}).get(channel, DEFAULT_CHANNELS[channel]))
        if not on:
            continue
        if channel == "email" and not row.email:
            continue
        if channel == "webhook" and not row.webhook_url:
            continue
        wanted.append(channel)
    return wanted


# --- templates --------------------------------------------------------------------------------


async def current_template(session: AsyncSession, event_type: str, locale: str) -> Template | None:
    """The latest version in `locale`, else in the default locale."""
    for wanted in dict.fromkeys((locale, DEFAULT_LOCALE)):
        row = await session.scalar(
            select(Template)
            .where(Template.event_type == event_type, Template.locale == wanted)
            .order_by(Template.version.desc())
            .limit(1)
        )
        if row is not None:
            return row
    return None


async def publish_template(
    uow: Unit, event_type: str, locale: str, title: str, body: str
) -> Template:
    """A new version (old versions stay as they were)."""
    admin = require_admin(uow.caller)
    if not event_type or len(event_type) > 200:
        raise BadUserInput("eventType must be 1 to 200 characters", field="eventType")
    if not locale or len(locale) > 16:
        raise BadUserInput("locale must be 1 to 16 characters (e.g. en, de)", field="locale")
    rendering.check(title, body)
    # Two admins publishing for one event type and locale at once would both read the same
    # latest version and one would fail on the unique (event_type, locale, version).
    await lock_key(uow.session, "notification-template", f"{event_type}\0{locale}")
    latest = await uow.session.scalar(
        select(func.max(Template.version)).where(
            Template.event_type == event_type, Template.locale == locale
        )
    )
    row = Template(
        event_type=event_type,
        locale=locale,
        version=(latest or 0) + 1,
        title=title,
        body=body,
        created_at=uow.now(),
        created_by=admin.user_id,
    )
    uow.session.add(row)
    await uow.session.flush()
    return row


# --- storing notifications ------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    recipient_id: str
    type: str
    data: Mapping[str, Any]
    subject_type: str | None = None
    subject_id: str | None = None
    event_id: str | None = None
    # Given: used as they are; None: rendered from the type's template.
    title: str | None = None
    body: str | None = None


async def store(uow: Unit, draft: Draft) -> Notification | None:
    """Store one notification with its deliveries and emit `notification.created`; None when
    the recipient opted out of this type or it was stored before (same event, same user)."""
    session = uow.session
    if draft.event_id is not None:
        seen = await session.scalar(
            select(Notification.id).where(
                Notification.event_id == draft.event_id,
                Notification.recipient_id == draft.recipient_id,
            )
        )
        if seen is not None:
            return None
    row = await recipient(session, draft.recipient_id)
    channels = enabled_channels(row, draft.type)
    if not channels:
        return None
    title, body = draft.title, draft.body
    if title is None or body is None:
        template = await current_template(session, draft.type, row.locale)
        values = {**draft.data, "recipient": {"name": row.name, "locale": row.locale}}
        if template is None:
            rendered = rendering.Rendered(draft.type, "")
        else:
            rendered = rendering.render(template.title, template.body, values)
        title = rendered.title if title is None else title
        body = rendered.body if body is None else body
    now = uow.now()
    notification = Notification(
        recipient_id=draft.recipient_id,
        type=draft.type,
        title=title,
        body=body,
        data=dict(draft.data),
        subject_type=draft.subject_type,
        subject_id=draft.subject_id,
        event_id=draft.event_id,
        created_at=now,
    )
    session.add(notification)
    await session.flush()
    for channel in channels:
        # In-app is delivered by being stored; the others wait for the delivery loop.
        status = "SENT" if channel == "in_app" else "QUEUED"
        session.add(
            Delivery(
                notification_id=notification.id,
                channel=channel,
                status=status,
                attempts=1 if channel == "in_app" else 0,
                next_attempt_at=now,
                updated_at=now,
            )
        )
    uow.emit(
        NOTIFICATION_CREATED,
        {"id": notification.id, "recipient_id": notification.recipient_id},
        aggregate_id=notification.id,
    )
    return notification


async def notify(uow: Unit, event: Event) -> list[Notification]:
    """The notifications `event` causes (one per recipient), stored in `uow`."""
    subject = subject_of(event)
    stored = []
    for user_id in recipients_of(event):
        draft = Draft(
            recipient_id=user_id,
            type=event.type,
            data=dict(event.payload),
            subject_type=subject.type if subject else None,
            subject_id=subject.id if subject else None,
            event_id=event.id,
        )
        row = await store(uow, draft)
        if row is not None:
            stored.append(row)
    return stored


# --- the caller's notifications -------------------------------------------------------------


async def unread_count(session: AsyncSession, user_id: str) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.recipient_id == user_id, Notification.read_at.is_(None))
    )
    return int(count or 0)


async def mark_read(uow: Unit, ids: Sequence[str]) -> int:
    """Mark the caller's notifications among `ids` read; how many changed. Others' ids are
    ignored (a caller cannot learn which ids exist)."""
    caller = require_user(uow.caller)
    if len(ids) > MAX_MARK_READ:
        raise BadUserInput(f"At most {MAX_MARK_READ} ids at once", field="ids")
    return await _mark(uow, caller.user_id, uow.now(), Notification.id.in_(list(ids)))


async def mark_all_read(uow: Unit) -> int:
    caller = require_user(uow.caller)
    return await _mark(uow, caller.user_id, uow.now())


async def _mark(uow: Unit, user_id: str, now: datetime, *where: Any) -> int:
    result = await uow.session.execute(
        update(Notification)
        .where(Notification.recipient_id == user_id, Notification.read_at.is_(None), *where)
        .values(read_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class PreferencesChange:
    channels: Mapping[str, bool]  # channel -> on/off for every type
    per_type: Mapping[str, Mapping[str, bool]]  # event type -> channel -> on/off
    locale: str | None = None
    webhook_url: str | None = None


async def update_preferences(uow: Unit, change: PreferencesChange) -> Recipient:
    caller = require_user(uow.caller)
    for channels in (change.channels, *change.per_type.values()):
        unknown = set(channels) - set(CHANNELS)
        if unknown:
            raise BadUserInput(
                f"Unknown channel {sorted(unknown)[0]!r} (one of {', '.join(CHANNELS)})",
                field="channel",
            )
    if change.webhook_url and not change.webhook_url.startswith(("https://", "http://")):
        raise BadUserInput("webhookUrl must be an http(s) URL", field="webhookUrl")
    if change.locale is not None and not (0 < len(change.locale) <= 16):
        raise BadUserInput("locale must be 1 to 16 characters (e.g. en, de)", field="locale")
    row = await recipient(uow.session, caller.user_id)
    row.channels = {**(row.channels or {}), **change.channels}
    per_type = {k: dict(v) for k, v in (row.per_type or {}).items()}
    for event_type, channels in change.per_type.items():
        per_type[event_type] = {**per_type.get(event_type, {}), **channels}
    row.per_type = per_type
    if change.locale is not None:
        row.locale = change.locale
    if change.webhook_url is not None:
        row.webhook_url = change.webhook_url or None
    row.updated_at = uow.now()
    await uow.session.flush()
    return row


async def send_bulk(
    uow: Unit, user_ids: Sequence[str], title: str, body: str, data: Mapping[str, Any]
) -> int:
    """An admin's message to each of `user_ids` (rendered with `data`); how many were stored."""
    require_admin(uow.caller)
    unique = list(dict.fromkeys(user_ids))
    if not unique or len(unique) > MAX_BULK_RECIPIENTS:
        raise BadUserInput(f"Give 1 to {MAX_BULK_RECIPIENTS} recipients", field="userIds")
    rendering.check(title, body)
    rendered = rendering.render(title, body, data)
    stored = 0
    for user_id in unique:
        draft = Draft(user_id, "admin.message", data, title=rendered.title, body=rendered.body)
        stored += await store(uow, draft) is not None
    return stored
