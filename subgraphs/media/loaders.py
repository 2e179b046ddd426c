"""Per-request DataLoaders: one SELECT ... WHERE ... IN (...) per batch."""

from __future__ import annotations

from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from subgraphs.common.app import Runtime
from subgraphs.common.loaders import rows_by_key, rows_grouped_by
from subgraphs.media.models import Avatar, Media, Variant


@dataclass(frozen=True)
class Loaders:
    media_by_id: DataLoader[str, Media | None]
    variants_by_media: DataLoader[str, list[Variant]]
    avatar_by_user: DataLoader[str, Avatar | None]


def create_loaders(runtime: Runtime) -> Loaders:
    sessions = runtime.db.sessions
    return Loaders(
        media_by_id=rows_by_key(sessions, Media),
        variants_by_media=rows_grouped_by(sessions, Variant, Variant.media_id, Variant.name),
        avatar_by_user=rows_by_key(sessions, Avatar, Avatar.user_id),
    )
