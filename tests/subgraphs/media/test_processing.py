"""The media worker makes the variants after the upload request: PROCESSING -> READY with
`media.processed`, or FAILED with a reason and `media.failed`; a worker that died mid-job
leaves its job to a live one, a job that never ends is FAILED after MAX_ATTEMPTS starts, and
a redelivered job changes nothing."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from db import Database
from subgraphs.common.outbox import OUTBOX
from subgraphs.media import NAME
from subgraphs.media.models import Media
from subgraphs.media.processing import MAX_ATTEMPTS, Processor
from subgraphs.media.service import limits
from tests.subgraphs.media.conftest import MEDIA, MediaService
from tests.subgraphs.media.images import encode, not_an_image, picture


async def upload(media: MediaService, token: str) -> dict:
    result = await media.upload_one("p.png", encode(picture(300, 200), "PNG"), token=token)
    assert result.errors == [], result.errors
    item = result.data["uploadMedia"]
    assert (item["status"], item["variants"]) == ("PROCESSING", [])
    return dict(item)


def processor(media: MediaService, db: Database) -> Processor:
    return Processor(db, media.bus, media.storage, limits(media.settings), 1)


async def outbox_count(db: Database, event_type: str) -> int:
    async with db.sessions() as session:
        found = await session.scalar(
            select(func.count()).select_from(OUTBOX).where(OUTBOX.c.type == event_type)
        )
    return int(found or 0)


async def test_the_worker_makes_the_variants_and_publishes_processed(
    idle_media: MediaService,
) -> None:
    media = idle_media
    item = await upload(media, media.token("alice"))
    thumb_url = item["url"].replace("/original", "/thumb")
    assert (await media.fetch(thumb_url)).status_code == 404  # no variant before the worker
    async with media.bus.subscribe(["media.processed", "media.failed"]) as events:
        stream = aiter(events)
        media.start_worker()
        event = await asyncio.wait_for(anext(stream), 60)
    assert (event.type, event.aggregate_id) == ("media.processed", item["id"])
    assert event.payload["variants"] == ["medium", "thumb"]
    assert event.payload["owner_id"] == "alice"
    done = await media.processed(item["id"])
    assert (done["status"], done["failureReason"]) == ("READY", None)
    assert sorted(v["name"] for v in done["variants"]) == ["medium", "thumb"]
    assert (await media.fetch(thumb_url)).status_code == 200


async def test_an_original_that_no_longer_decodes_fails_with_a_reason(
    idle_media: MediaService,
) -> None:
    media = idle_media
    item = await upload(media, media.token("alice"))
    await media.storage.put(item["id"], "original", not_an_image())  # storage went bad
    async with media.bus.subscribe(["media.processed", "media.failed"]) as events:
        stream = aiter(events)
        media.start_worker()
        event = await asyncio.wait_for(anext(stream), 60)
    assert (event.type, event.aggregate_id) == ("media.failed", item["id"])
    assert "not an image" in event.payload["reason"]
    failed = await media.processed(item["id"])
    assert failed["status"] == "FAILED" and failed["variants"] == []
    assert failed["failureReason"] == event.payload["reason"]
    db = Database.from_url(media.settings.database_url_for(NAME))
    try:
        assert await outbox_count(db, "media.processed") == 0
    finally:
        await db.dispose()


async def test_a_job_left_by_a_dead_worker_is_finished_by_a_live_one(
    idle_media: MediaService,
) -> None:
    media = idle_media
    item = await upload(media, media.token("alice"))
    db = Database.from_url(media.settings.database_url_for(NAME))
    try:
        # A worker takes the job and dies before it ends: its event is never acknowledged.
        dead = media.bus.consume("media", "dead-0", ["media.uploaded"])
        taken = await asyncio.wait_for(anext(dead), 10)
        assert taken.payload["id"] == item["id"]
        assert await processor(media, db).claim(item["id"])
        await dead.aclose()

        media.start_worker("live")  # claims the dead consumer's event once it is idle
        done = await media.processed(item["id"])
        assert done["status"] == "READY", done
        assert await outbox_count(db, "media.processed") == 1
    finally:
        await db.dispose()


async def test_a_job_that_never_ends_fails_after_max_attempts(idle_media: MediaService) -> None:
    media = idle_media
    item = await upload(media, media.token("alice"))
    db = Database.from_url(media.settings.database_url_for(NAME))
    try:
        crashing = processor(media, db)
        for _ in range(MAX_ATTEMPTS):  # each start ended with the worker dying
            assert await crashing.claim(item["id"])
        await crashing.close()
        media.start_worker()
        failed = await media.processed(item["id"])
        assert failed["status"] == "FAILED"
        assert f"started {MAX_ATTEMPTS} times" in failed["failureReason"]
        assert await outbox_count(db, "media.failed") == 1
        assert await outbox_count(db, "media.processed") == 0
    finally:
        await db.dispose()


async def test_a_redelivered_job_changes_nothing(media: MediaService) -> None:
    item = await upload(media, media.token("alice"))
    done = await media.processed(item["id"])
    assert done["status"] == "READY"
    db = Database.from_url(media.settings.database_url_for(NAME))
    again = processor(media, db)
    try:
        await again.process(item["id"])  # the event delivered a second time
        assert await media.processed(item["id"]) == done
        assert await outbox_count(db, "media.processed") == 1
    finally:
        await again.close()
        await db.dispose()


async def test_a_media_deleted_before_processing_is_skipped(idle_media: MediaService) -> None:
    media = idle_media
    alice = media.token("alice")
    item = await upload(media, alice)
    deleted = await media.execute(
        "mutation ($id: ID!) { deleteMedia(id: $id) }", {"id": item["id"]}, token=alice
    )
    assert deleted.errors == [], deleted.errors
    db = Database.from_url(media.settings.database_url_for(NAME))
    late = processor(media, db)
    try:
        await late.process(item["id"])
        assert await media.storage.get(item["id"], "original") is None
        assert await outbox_count(db, "media.processed") == 0
        assert await outbox_count(db, "media.failed") == 0
    finally:
        await late.close()
        await db.dispose()


async def test_the_sweep_processes_what_no_event_brings(idle_media: MediaService) -> None:
    media = idle_media
    item = await upload(media, media.token("alice"))  # its event is never consumed here
    db = Database.from_url(media.settings.database_url_for(NAME))
    sweeper = processor(media, db)
    try:
        assert await sweeper.sweep(older_than=timedelta(hours=1)) == 0  # fresh: not stale
        still = await media.execute(MEDIA, {"id": item["id"]})
        assert still.data["media"]["status"] == "PROCESSING"
        assert await sweeper.sweep(older_than=timedelta(0)) == 1
        done = await media.processed(item["id"], deadline=0)
        assert done["status"] == "READY" and len(done["variants"]) == 2
        assert await outbox_count(db, "media.processed") == 1
    finally:
        await sweeper.close()
        await db.dispose()


async def test_a_pool_process_that_dies_costs_one_attempt(idle_media: MediaService) -> None:
    media = idle_media
    item = await upload(media, media.token("alice"))
    db = Database.from_url(media.settings.database_url_for(NAME))
    crashing = processor(media, db)
    try:
        # The pool's process dies (as when a decoder crashes or the OOM killer takes it).
        await asyncio.get_running_loop().run_in_executor(crashing._pool, int)
        for process in list(crashing._pool._processes.values()):  # type: ignore[attr-defined]
            process.kill()
        await crashing.process(item["id"])
        done = await media.processed(item["id"])
        assert done["status"] == "READY", done
        async with db.sessions() as session:
            attempts = await session.scalar(select(Media.attempts).where(Media.id == item["id"]))
        assert attempts == 2  # the broken pool's start, then the new pool's
    finally:
        await crashing.close()
        await db.dispose()
