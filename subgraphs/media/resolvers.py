"""Thin Query and Mutation fields: read arguments, open the unit of work, call the service."""

from __future__ import annotations

import strawberry
from strawberry.federation.schema_directives import RequiresScopes
from strawberry.file_uploads import Upload

from subgraphs.common.unit_of_work import unit_of_work
from subgraphs.media import service
from subgraphs.media.storage import Storage
from subgraphs.media.types import FormatStats, ImageFormat, Media, MediaInfo, MediaStats, User
from subgraphs.media.uploads import read_upload


def storage_of(info: MediaInfo) -> Storage:
    storage: Storage = info.context.request.app.state.media_storage
    return storage


async def _upload(info: MediaInfo, files: list[Upload], alt: str | None) -> list[Media]:
    caller = await info.context.require_caller()
    limit = info.context.settings.media_max_upload_bytes
    batch = len(files) > 1
    items = [await read_upload(f, limit, i if batch else None) for i, f in enumerate(files)]
    async with unit_of_work(info.context.db, caller, info.context.events) as uow:
        stored = await service.upload(uow, storage_of(info), info.context.settings, items, alt)
    return [Media.from_row(media) for media in stored]


@strawberry.type
class Query:
    @strawberry.field(description="A media by id; null when there is none.")
    async def media(self, info: MediaInfo, id: strawberry.ID) -> Media | None:
        row = await info.context.loaders.media_by_id.load(str(id))
        return None if row is None else Media.from_row(row)

    @strawberry.field(
        description="Count and bytes of stored originals, by format (admins).",
        directives=[RequiresScopes(scopes=[["admin"]])],  # the router refuses everyone else
    )
    async def media_stats(self, info: MediaInfo) -> MediaStats:
        caller = await info.context.require_caller()
        async with unit_of_work(info.context.db, caller) as uow:
            stats = await service.stats(uow)
        return MediaStats(
            count=stats.count,
            bytes=stats.bytes,
            by_format=[
                FormatStats(format=f.format, count=f.count, bytes=f.bytes) for f in stats.by_format
            ],
        )


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Upload one image (multipart request). It is PROCESSING until the media "
        "worker made its variants (then READY and media.processed, or FAILED and media.failed)."
    )
    async def upload_media(self, info: MediaInfo, file: Upload, alt: str | None = None) -> Media:
        return (await _upload(info, [file], alt))[0]

    @strawberry.mutation(description="Upload up to 20 images: all are stored or none.")
    async def upload_media_batch(
        self, info: MediaInfo, files: list[Upload], alt: str | None = None
    ) -> list[Media]:
        return await _upload(info, files, alt)

    @strawberry.mutation(description="Add a variant fitting width x height (owner or admin).")
    async def resize_media(
        self,
        info: MediaInfo,
        id: strawberry.ID,
        width: int,
        height: int,
        format: ImageFormat = ImageFormat.WEBP,
    ) -> Media:
        caller = await info.context.require_caller()
        async with unit_of_work(info.context.db, caller, info.context.events) as uow:
            row = await service.resize(
                uow, storage_of(info), info.context.settings, str(id), width, height, format.value
            )
        return Media.from_row(row)

    @strawberry.mutation(
        description="Delete a media and its files (owner or admin; emits media.deleted)."
    )
    async def delete_media(self, info: MediaInfo, id: strawberry.ID) -> strawberry.ID:
        caller = await info.context.require_caller()
        async with unit_of_work(info.context.db, caller, info.context.events) as uow:
            media = await service.delete(uow, str(id))
        await storage_of(info).delete(media.id)
        return strawberry.ID(media.id)

    @strawberry.mutation(description="Make one of your media your avatar (null: none).")
    async def set_avatar(self, info: MediaInfo, media_id: strawberry.ID | None) -> User:
        caller = await info.context.require_caller()
        async with unit_of_work(info.context.db, caller, info.context.events) as uow:
            user_id = await service.set_avatar(uow, None if media_id is None else str(media_id))
        return User(id=strawberry.ID(user_id))
