"""Per-request DataLoaders of notifications: one SELECT ... WHERE key IN (...) per batch."""

from __future__ import annotations

from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from subgraphs.common.app import Runtime
from subgraphs.common.loaders import rows_by_key, rows_grouped_by
from subgraphs.notifications.models import Delivery, Notification, Template


@dataclass(frozen=True)
class Loaders:
    notification_by_id: DataLoader[str, Notification | None]
    template_by_id: DataLoader[str, Template | None]
    deliveries_by_notification: DataLoader[str, list[Delivery]]


def create_loaders(runtime: Runtime) -> Loaders:
    sessions = runtime.db.sessions
    return Loaders(
        notification_by_id=rows_by_key(sessions, Notification),
        template_by_id=rows_by_key(sessions, Template),
        deliveries_by_notification=rows_grouped_by(
            sessions, Delivery, Delivery.notification_id, Delivery.channel
        ),
    )
