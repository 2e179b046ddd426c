"""GraphQL types of the media subgraph. `resolve_reference` only loads through a DataLoader."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any, TypeAlias

import strawberry
from strawberry.types import Info

from subgraphs.common.context import Context
from subgraphs.media import models, service
from subgraphs.media.loaders import Loaders

MediaInfo: TypeAlias = Info[Context[Loaders], None]


def file_url(info: MediaInfo, media_id: str, name: str) -> str:
    return f"{info.context.settings.media_public_url.rstrip('/')}/media/{media_id}/{name}"


@strawberry.enum(
    description="Where an upload is: PROCESSING (stored and checked; the variants are being "
    "made), READY (variants made) or FAILED (see failureReason)."
)
class MediaStatus(Enum):
    PROCESSING = "PROCESSING"
    READY = "READY"
    FAILED = "FAILED"


@strawberry.enum(description="Formats a resized variant may be written in.")
class ImageFormat(Enum):
    WEBP = "WEBP"
    PNG = "PNG"
    JPEG = "JPEG"


@strawberry.type(description="A derived file of a media (public by URL).")
class MediaVariant:
    name: str
    width: int
    height: int
    format: str
    size: int
    url: str


@strawberry.federation.type(keys=["id"])  # owned by users; no description to clash
class User:
    id: strawberry.ID

    @classmethod
    async def resolve_reference(cls, info: MediaInfo, id: strawberry.ID, **_: Any) -> User:
        return cls(id=id)

    @strawberry.field(description="The user's avatar; null when they have none.")
    async def avatar(self, info: MediaInfo) -> Media | None:
        avatar = await info.context.loaders.avatar_by_user.load(str(self.id))
        if avatar is None:
            return None
        row = await info.context.loaders.media_by_id.load(avatar.media_id)
        return None if row is None else Media.from_row(row)


@strawberry.federation.type(
    keys=["id"],
    description="An uploaded image. Its stored original has orientation applied and every "
    "metadata block (EXIF, GPS) removed; `url` (the original) is readable by the owner only.",
)
class Media:
    id: strawberry.ID
    filename: str
    content_type: str
    size: int
    width: int
    height: int
    alt: str | None
    status: MediaStatus
    failure_reason: str | None = strawberry.field(
        description="Why processing failed (FAILED only; null otherwise)."
    )
    created_at: datetime
    row: strawberry.Private[models.Media]

    @classmethod
    def from_row(cls, row: models.Media) -> Media:
        return cls(
            id=strawberry.ID(row.id),
            filename=row.filename,
            content_type=row.content_type,
            size=row.size,
            width=row.width,
            height=row.height,
            alt=row.alt,
            status=MediaStatus(row.status),
            failure_reason=row.failure_reason,
            created_at=row.created_at,
            row=row,
        )

    @classmethod
    async def resolve_reference(cls, info: MediaInfo, id: strawberry.ID, **_: Any) -> Media | None:
        row = await info.context.loaders.media_by_id.load(str(id))
        return None if row is None else cls.from_row(row)

    @strawberry.field(description="The uploader.")
    def owner(self) -> User:
        return User(id=strawberry.ID(self.row.owner_id))

    @strawberry.field(description="URL of the original (the owner's token is needed to read it).")
    def url(self, info: MediaInfo) -> str:
        return file_url(info, self.row.id, service.ORIGINAL)

    @strawberry.field(
        description="Derived files: `thumb` (256 px) and `medium` (1024 px) once READY "
        "(animated WebP for an animation), and resizes."
    )
    async def variants(self, info: MediaInfo) -> list[MediaVariant]:
        rows = await info.context.loaders.variants_by_media.load(self.row.id)
        return [
            MediaVariant(
                name=v.name,
                width=v.width,
                height=v.height,
                format=v.format,
                size=v.size,
                url=file_url(info, self.row.id, v.name),
            )
            for v in rows
        ]


@strawberry.type(description="Stored originals of one format.")
class FormatStats:
    format: str
    count: int
    bytes: int


@strawberry.type(description="What the media subgraph stores (originals).")
class MediaStats:
    count: int
    bytes: int
    by_format: list[FormatStats]
