"""GraphQL types of the notifications subgraph. `resolve_reference` only calls a DataLoader."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, cast

import strawberry
from strawberry.federation.schema_directives import Key
from strawberry.scalars import JSON
from strawberry.types import Info

from subgraphs.common.context import Context
from subgraphs.notifications import models
from subgraphs.notifications.loaders import Loaders

NotificationsInfo = Info[Context[Loaders], None]

_STUB: Any = [Key(fields="id", resolvable=False)]  # type: ignore[arg-type]


@strawberry.federation.type(keys=["id"])  # owned by users; no description to clash
class User:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID, **_: Any) -> User:
        return cls(id=id)


@strawberry.federation.type(keys=_STUB)
class Task:
    id: strawberry.ID


@strawberry.federation.type(keys=_STUB)
class Order:
    id: strawberry.ID


@strawberry.federation.type(keys=_STUB)
class Booking:
    id: strawberry.ID


@strawberry.federation.type(keys=_STUB)
class Media:
    id: strawberry.ID


_SUBJECTS: dict[str, type[Any]] = {"Task": Task, "Order": Order, "Booking": Booking, "Media": Media}

NotificationSubject = Annotated[
    Task | Order | Booking | Media,
    strawberry.union("NotificationSubject", description="What a notification is about."),
]


@strawberry.type(description="One channel's delivery of a notification.")
class Delivery:
    channel: str = strawberry.field(description="in_app, email or webhook.")
    status: str = strawberry.field(description="QUEUED, SENDING, SENT, RETRYING or DEAD.")
    attempts: int
    last_error: str | None

    @classmethod
    def from_row(cls, row: models.Delivery) -> Delivery:
        return cls(
            channel=row.channel, status=row.status, attempts=row.attempts, last_error=row.last_error
        )


@strawberry.federation.type(keys=["id"], description="Something a user was told about.")
class Notification:
    id: strawberry.ID
    recipient: User
    type: str = strawberry.field(description="The event type, e.g. task.assigned.")
    title: str
    body: str
    data: JSON = strawberry.field(description="The event's values the template was given.")
    created_at: datetime
    read_at: datetime | None
    row: strawberry.Private[models.Notification]

    @classmethod
    def from_row(cls, row: models.Notification) -> Notification:
        return cls(
            id=strawberry.ID(row.id),
            recipient=User(id=strawberry.ID(row.recipient_id)),
            type=row.type,
            title=row.title,
            body=row.body,
            data=cast(JSON, row.data),
            created_at=row.created_at,
            read_at=row.read_at,
            row=row,
        )

    @classmethod
    async def resolve_reference(
        cls, info: NotificationsInfo, id: strawberry.ID
    ) -> Notification | None:
        row = await info.context.loaders.notification_by_id.load(str(id))
        return None if row is None else cls.from_row(row)

    @strawberry.field(description="The entity it is about, resolved by its owner; null: none.")
    def subject(self) -> NotificationSubject | None:
        kind = _SUBJECTS.get(self.row.subject_type or "")
        if kind is None or self.row.subject_id is None:
            return None
        return kind(id=strawberry.ID(self.row.subject_id))

    @strawberry.field
    async def deliveries(self, info: NotificationsInfo) -> list[Delivery]:
        rows = await info.context.loaders.deliveries_by_notification.load(self.row.id)
        return [Delivery.from_row(row) for row in rows]


@strawberry.federation.type(
    keys=["id"], description="One version of an event type's template in a locale."
)
class Template:
    id: strawberry.ID
    event_type: str
    locale: str
    version: int
    title: str = strawberry.field(description="Jinja2 (sandboxed), e.g. 'Task {{ title }}'.")
    body: str
    created_at: datetime

    @classmethod
    def from_row(cls, row: models.Template) -> Template:
        return cls(
            id=strawberry.ID(row.id),
            event_type=row.event_type,
            locale=row.locale,
            version=row.version,
            title=row.title,
            body=row.body,
            created_at=row.created_at,
        )

    @classmethod
    async def resolve_reference(cls, info: NotificationsInfo, id: strawberry.ID) -> Template | None:
        row = await info.context.loaders.template_by_id.load(str(id))
        return None if row is None else cls.from_row(row)


@strawberry.type(description="Where and how the caller is notified.")
class NotificationPreferences:
    channels: JSON = strawberry.field(description='Per channel, e.g. {"email": true}.')
    per_type: JSON = strawberry.field(
        description='Per event type and channel, e.g. {"task.assigned": {"email": false}}.'
    )
    opt_outs: list[str] = strawberry.field(description="Event types turned off entirely.")
    locale: str
    webhook_url: str | None

    @classmethod
    def from_row(cls, row: models.Recipient) -> NotificationPreferences:
        return cls(
            channels=cast(JSON, row.channels or {}),
            per_type=cast(JSON, row.per_type or {}),
            opt_outs=list(row.opt_outs or []),
            locale=row.locale,
            webhook_url=row.webhook_url,
        )


@strawberry.input
class ChannelSwitch:
    channel: str = strawberry.field(description="in_app, email or webhook.")
    enabled: bool
    event_type: str | None = strawberry.field(
        default=None, description="Only for this event type; null: every type."
    )


@strawberry.input
class NotificationPreferencesInput:
    switches: list[ChannelSwitch] = strawberry.field(default_factory=list)
    locale: str | None = None
    webhook_url: str | None = strawberry.field(
        default=None, description="An empty string removes it."
    )
