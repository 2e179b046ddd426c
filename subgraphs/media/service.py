"""Domain rules of the media subgraph (no GraphQL). An upload is checked and cleaned in a
worker thread (imaging.clean_original) and its original stored before the unit of work
commits (and removed again if it does not), so a committed row always has its original; the
row starts PROCESSING and `media.uploaded` asks the media worker for the variants
(processing.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete as sql_delete
from sqlalchemy import func, select

from subgraphs.common.auth import Caller
from subgraphs.common.errors import BadUserInput, Forbidden, NotFound
from subgraphs.common.settings import Settings
from subgraphs.common.unit_of_work import UnitOfWork
from subgraphs.media import events, imaging
from subgraphs.media.models import Avatar, Media, Variant
from subgraphs.media.storage import Storage

Unit = UnitOfWork[Caller]

ORIGINAL = "original"
PROCESSING, READY, FAILED = "PROCESSING", "READY", "FAILED"
MAX_BATCH = 20
MAX_ALT = 500
MAX_SIDE = 4096


class MediaRefused(BadUserInput):
    """A refused file: `extensions.code` says why (UNSUPPORTED_MEDIA_TYPE, IMAGE_TOO_LARGE,
    PAYLOAD_TOO_LARGE), which a client can act on better than BAD_USER_INPUT alone."""

    def __init__(self, code: str, message: str, **details: object) -> None:
        super().__init__(message, **details)
        self.extensions["code"] = code


@dataclass(frozen=True)
class Incoming:
    """One uploaded file, read whole (at most MOSAIC_MEDIA_MAX_UPLOAD_BYTES)."""

    filename: str
    data: bytes


def _caller(uow: Unit) -> Caller:
    return uow.caller


def limits(settings: Settings) -> imaging.Limits:
    return imaging.Limits(settings.media_max_pixels, settings.media_max_animation_pixels)


async def _clean(settings: Settings, item: Incoming, index: int | None) -> imaging.Encoded:
    try:
        return await asyncio.to_thread(imaging.clean_original, item.data, limits(settings))
    except imaging.ImageRefused as refused:
        where = {} if index is None else {"index": index}
        raise MediaRefused(refused.code, f"{item.filename}: {refused.message}", **where) from None


def _row(owner: str, item: Incoming, original: imaging.Encoded, alt: str | None) -> Media:
    return Media(
        owner_id=owner,
        filename=item.filename[:255] or "upload",
        content_type=original.content_type,
        format=original.format,
        size=len(original.data),
        width=original.width,
        height=original.height,
        alt=alt,
        status=PROCESSING,
        etag=original.etag,
        attempts=0,
    )


def variant_row(media_id: str, name: str, encoded: imaging.Encoded) -> Variant:
    return Variant(
        media_id=media_id,
        name=name,
        format=encoded.format,
        content_type=encoded.content_type,
        size=len(encoded.data),
        width=encoded.width,
        height=encoded.height,
        etag=encoded.etag,
    )


def _clean_alt(alt: str | None) -> str | None:
    if alt is None:
        return None
    alt = alt.strip()
    if len(alt) > MAX_ALT:
        raise BadUserInput(f"alt must be at most {MAX_ALT} characters", field="alt")
    return alt or None


async def upload(
    uow: Unit, storage: Storage, settings: Settings, items: Sequence[Incoming], alt: str | None
) -> list[Media]:
    """Store every file or none: all are checked and cleaned before anything is written."""
    owner = _caller(uow).user_id
    if not items:
        raise BadUserInput("Send at least one file", field="files")
    if len(items) > MAX_BATCH:
        raise BadUserInput(f"At most {MAX_BATCH} files per batch", field="files")
    alt = _clean_alt(alt)
    batch = len(items) > 1
    originals = await asyncio.gather(
        *(_clean(settings, item, i if batch else None) for i, item in enumerate(items))
    )
    stored: list[Media] = []
    try:
        for item, original in zip(items, originals, strict=True):
            media = _row(owner, item, original, alt)
            uow.session.add(media)
            await uow.session.flush()  # the id names the files
            await storage.put(media.id, ORIGINAL, original.data)
            stored.append(media)
            uow.emit(events.MEDIA_UPLOADED, events.uploaded_payload(media), aggregate_id=media.id)
        await uow.session.flush()
    except BaseException:
        for media in stored:
            await storage.delete(media.id)
        raise
    return stored


async def _owned(uow: Unit, media_id: str) -> Media:
    caller = _caller(uow)
    media = await uow.session.get(Media, media_id)
    if media is None:
        raise NotFound("No media with this id", id=media_id)
    if media.owner_id != caller.user_id and not caller.is_admin:
        raise Forbidden("Only the owner may change this media")
    return media


async def resize(
    uow: Unit,
    storage: Storage,
    settings: Settings,
    media_id: str,
    width: int,
    height: int,
    fmt: str,
) -> Media:
    """Add a variant named `<width>x<height>-<format>` (kept if it exists already)."""
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
        raise BadUserInput(f"width and height must be 1 to {MAX_SIDE}", field="width")
    media = await _owned(uow, media_id)
    name = f"{width}x{height}-{fmt.lower()}"
    existing = await uow.session.scalar(
        select(Variant).where(Variant.media_id == media.id, Variant.name == name)
    )
    if existing is not None:
        return media
    data = await storage.get(media.id, ORIGINAL)
    if data is None:
        raise NotFound("The original file of this media is missing", id=media_id)
    try:
        encoded = await asyncio.to_thread(
            imaging.resize, data, width, height, fmt, limits(settings)
        )
    except imaging.ImageRefused as refused:  # a FAILED media whose original does not decode
        raise MediaRefused(refused.code, refused.message) from None
    await storage.put(media.id, name, encoded.data)
    uow.session.add(variant_row(media.id, name, encoded))
    await uow.session.flush()
    return media


async def delete(uow: Unit, media_id: str) -> Media:
    """Remove the rows and emit media.deleted; the caller removes the files after commit."""
    media = await _owned(uow, media_id)
    # Children first, by statement (not every database enforces ON DELETE CASCADE).
    await uow.session.execute(sql_delete(Avatar).where(Avatar.media_id == media.id))
    await uow.session.execute(sql_delete(Variant).where(Variant.media_id == media.id))
    await uow.session.execute(sql_delete(Media).where(Media.id == media.id))
    uow.emit(events.MEDIA_DELETED, events.deleted_payload(media), aggregate_id=media.id)
    await uow.session.flush()
    return media


async def set_avatar(uow: Unit, media_id: str | None) -> str:
    """Make one of the caller's media their avatar (None: no avatar). Returns the user id."""
    caller = _caller(uow)
    current = await uow.session.get(Avatar, caller.user_id)
    if media_id is None:
        if current is not None:
            await uow.session.delete(current)
        return caller.user_id
    media = await uow.session.get(Media, media_id)
    if media is None or media.owner_id != caller.user_id:
        raise NotFound("You have no media with this id", id=media_id)
    if current is None:
        uow.session.add(Avatar(user_id=caller.user_id, media_id=media.id))
    else:
        current.media_id = media.id
    await uow.session.flush()
    return caller.user_id


@dataclass(frozen=True)
class FormatStats:
    format: str
    count: int
    bytes: int


@dataclass(frozen=True)
class Stats:
    count: int
    bytes: int
    by_format: list[FormatStats]


async def stats(uow: Unit) -> Stats:
    caller = _caller(uow)
    if not caller.is_admin:
        raise Forbidden("Only admins may see media statistics")
    rows = (
        await uow.session.execute(
            select(Media.format, func.count(), func.coalesce(func.sum(Media.size), 0))
            .group_by(Media.format)
            .order_by(Media.format)
        )
    ).all()
    by_format = [FormatStats(fmt, int(count), int(size)) for fmt, count, size in rows]
    return Stats(sum(f.count for f in by_format), sum(f.bytes for f in by_format), by_format)
