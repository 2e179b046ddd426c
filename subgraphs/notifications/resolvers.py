"""Thin Query, Mutation and Subscription fields: read arguments, call the service, shape."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import TypeVar

import strawberry
from sqlalchemy import select
from strawberry.federation.schema_directives import Authenticated, RequiresScopes
from strawberry.scalars import JSON

from subgraphs.common.keyset import column_ordering, paginate_ordered
from subgraphs.common.pagination import Connection, to_connection
from subgraphs.common.unit_of_work import unit_of_work
from subgraphs.notifications import service
from subgraphs.notifications.models import Notification as NotificationRow
from subgraphs.notifications.models import Template as TemplateRow
from subgraphs.notifications.service import Draft, PreferencesChange, Unit
from subgraphs.notifications.types import (
    Notification,
    NotificationPreferences,
    NotificationPreferencesInput,
    NotificationsInfo,
    Template,
)

T = TypeVar("T")

_NEWEST_FIRST = column_ordering(
    "NOTIFICATIONS", NotificationRow.created_at, NotificationRow.id, descending=True
)


async def write(info: NotificationsInfo, work: Callable[[Unit], Awaitable[T]]) -> T:
    caller = await info.context.caller()
    async with unit_of_work(info.context.db, caller, info.context.events) as uow:
        return await work(uow)


@strawberry.type
class Query:
    @strawberry.field(
        description="The caller's notifications, newest first.",
        directives=[Authenticated()],  # the router refuses anonymous callers
    )
    async def notifications(
        self,
        info: NotificationsInfo,
        unread_only: bool = False,
        first: int | None = 20,
        after: str | None = None,
    ) -> Connection[Notification]:
        caller = service.require_user(await info.context.caller())
        statement = select(NotificationRow).where(NotificationRow.recipient_id == caller.user_id)
        if unread_only:
            statement = statement.where(NotificationRow.read_at.is_(None))
        async with info.context.db.sessions() as session:
            page = await paginate_ordered(
                session, statement, _NEWEST_FIRST, first=first, after=after
            )
        return to_connection(page, Notification.from_row)

    @strawberry.field(
        description="How many of the caller's notifications are unread.",
        directives=[Authenticated()],  # the router refuses anonymous callers
    )
    async def unread_count(self, info: NotificationsInfo) -> int:
        caller = service.require_user(await info.context.caller())
        async with info.context.db.sessions() as session:
            return await service.unread_count(session, caller.user_id)

    @strawberry.field(description="The caller's notification preferences.")
    async def notification_preferences(self, info: NotificationsInfo) -> NotificationPreferences:
        caller = service.require_user(await info.context.caller())
        async with info.context.db.sessions() as session:
            row = await service.recipient(session, caller.user_id)
            return NotificationPreferences.from_row(row)

    @strawberry.field(
        description="Every template version (ADMIN), by event type, locale, version.",
        directives=[RequiresScopes(scopes=[["admin"]])],  # the router refuses everyone else
    )
    async def templates(
        self, info: NotificationsInfo, event_type: str | None = None, locale: str | None = None
    ) -> list[Template]:
        service.require_admin(await info.context.caller())
        statement = select(TemplateRow).order_by(
            TemplateRow.event_type, TemplateRow.locale, TemplateRow.version
        )
        if event_type is not None:
            statement = statement.where(TemplateRow.event_type == event_type)
        if locale is not None:
            statement = statement.where(TemplateRow.locale == locale)
        async with info.context.db.sessions() as session:
            rows = (await session.scalars(statement.limit(1000))).all()
        return [Template.from_row(row) for row in rows]


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Mark the caller's notifications read; how many changed.")
    async def mark_read(self, info: NotificationsInfo, ids: list[strawberry.ID]) -> int:
        return await write(info, lambda uow: service.mark_read(uow, [str(i) for i in ids]))

    @strawberry.mutation(description="Mark all the caller's notifications read.")
    async def mark_all_read(self, info: NotificationsInfo) -> int:
        return await write(info, service.mark_all_read)

    @strawberry.mutation(description="Turn channels on or off, for every type or one type.")
    async def update_notification_preferences(
        self, info: NotificationsInfo, input: NotificationPreferencesInput
    ) -> NotificationPreferences:
        channels: dict[str, bool] = {}
        per_type: dict[str, dict[str, bool]] = {}
        for switch in input.switches:
            target = (
                channels
                if switch.event_type is None
                else per_type.setdefault(switch.event_type, {})
            )
            target[switch.channel] = switch.enabled
        change = PreferencesChange(channels, per_type, input.locale, input.webhook_url)

        async def work(uow: Unit) -> NotificationPreferences:
            return NotificationPreferences.from_row(await service.update_preferences(uow, change))

        return await write(info, work)

    @strawberry.mutation(
        description="Publish a new version of an event type's template in a locale (ADMIN)."
    )
    async def publish_template(
        self, info: NotificationsInfo, event_type: str, locale: str, title: str, body: str
    ) -> Template:
        async def work(uow: Unit) -> Template:
            row = await service.publish_template(uow, event_type, locale, title, body)
            return Template.from_row(row)

        return await write(info, work)

    @strawberry.mutation(description="Send the caller (ADMIN) a test notification.")
    async def send_test_notification(
        self, info: NotificationsInfo, title: str = "Test", body: str = "It works."
    ) -> Notification | None:
        async def work(uow: Unit) -> Notification | None:
            admin = service.require_admin(uow.caller)
            draft = Draft(admin.user_id, "admin.test", {}, title=title, body=body)
            row = await service.store(uow, draft)
            return None if row is None else Notification.from_row(row)

        return await write(info, work)

    @strawberry.mutation(
        description="Send a message to up to 1,000 users (ADMIN); how many were stored "
        "(users who turned admin.message off are skipped)."
    )
    async def send_bulk_notification(
        self,
        info: NotificationsInfo,
        user_ids: list[strawberry.ID],
        title: str,
        body: str,
        data: JSON | None = None,
    ) -> int:
        values: dict[str, object] = data if isinstance(data, dict) else {}
        ids = [str(i) for i in user_ids]
        return await write(info, lambda uow: service.send_bulk(uow, ids, title, body, values))


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="The caller's new notifications, live (authenticated from connection_init)."
    )
    async def notification_added(
        self, info: NotificationsInfo
    ) -> AsyncGenerator[Notification, None]:
        caller = service.require_user(await info.context.caller())
        async with info.context.events.subscribe([service.NOTIFICATION_CREATED]) as events:
            async for event in events:
                if event.payload.get("recipient_id") != caller.user_id:
                    continue
                async with info.context.db.sessions() as session:
                    row = await session.get(NotificationRow, str(event.payload["id"]))
                if row is not None:
                    yield Notification.from_row(row)
