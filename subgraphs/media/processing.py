"""Making the variants of an uploaded media (the media worker's job, one `media.uploaded`
event each), off the event loop in a process pool.

The row is the job's state, so handling an event twice changes nothing:
1. claim: in a transaction, a PROCESSING row gets `attempts + 1`; anything else (READY,
   FAILED, deleted) means there is nothing to do. A worker that died mid-job left the row
   PROCESSING and its event unacknowledged: the bus hands the event to a live worker, which
   claims again. A job that kills its worker every time (a decoder crash) is FAILED once it
   has been started MAX_ATTEMPTS times, so it cannot stop the queue.
2. work: read the original, make the variants in the pool, write their files (a put replaces,
   so a second run writes the same names again).
3. finish: in a transaction, a row still PROCESSING gets its variant rows and READY, and
   `media.processed` goes through the outbox; a row deleted meanwhile gets its files removed.
`sweep` finds what no event will bring any more (a stream trimmed while every worker was down):
rows PROCESSING that nobody touched for STALE_AFTER are processed as if their event came.
What the image itself makes fail (it does not decode, the pool job raises) is FAILED with a
reason and `media.failed`; what the infrastructure makes fail (storage or database down) is
retried with a growing pause, never turned into FAILED.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlalchemy import select

from db import Database
from subgraphs.common.events import EventPublisher
from subgraphs.common.unit_of_work import UnitOfWork, unit_of_work
from subgraphs.media import events, imaging
from subgraphs.media.models import Media, Variant
from subgraphs.media.service import FAILED, ORIGINAL, PROCESSING, READY, variant_row
from subgraphs.media.storage import Storage

log = logging.getLogger("mosaic.media.processing")

MAX_ATTEMPTS = 3
MAX_PAUSE = 30.0
# A claim touches the row (updated_at), so this long untouched means no worker has the job.
STALE_AFTER = timedelta(minutes=10)
T = TypeVar("T")


async def _locked(uow: UnitOfWork[None], media_id: str) -> Media | None:
    media: Media | None = await uow.session.scalar(
        select(Media)
        .where(Media.id == media_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return media


def _fail(uow: UnitOfWork[None], media: Media, reason: str) -> None:
    media.status = FAILED
    media.failure_reason = reason[:500]
    uow.emit(events.MEDIA_FAILED, events.failed_payload(media), aggregate_id=media.id)


class Processor:
    """Runs jobs against one database, bus and storage, with one process pool."""

    def __init__(
        self,
        db: Database,
        bus: EventPublisher | None,
        storage: Storage,
        limits: imaging.Limits,
        processes: int,
    ) -> None:
        self.db = db
        self.bus = bus
        self.storage = storage
        self.limits = limits
        self.processes = processes
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        # spawn: a fresh interpreter (fork would copy the event loop's threads and locks).
        return ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("spawn"))

    async def close(self) -> None:
        await asyncio.to_thread(self._pool.shutdown, True, cancel_futures=True)

    async def process(self, media_id: str) -> None:
        """Take the job to READY or FAILED (or find it done already)."""
        while await self._retrying(lambda: self.claim(media_id)):
            try:
                await self._retrying(lambda: self._work(media_id))
                return
            except BrokenProcessPool:
                # A pool process died (killed, or a decoder crashed): a new attempt (_work
                # replaced the pool).
                log.error("the process pool broke while processing media %s", media_id)

    async def sweep(self, older_than: timedelta = STALE_AFTER, limit: int = 100) -> int:
        """Process rows PROCESSING and untouched for `older_than`; how many were found."""
        cutoff = datetime.now(UTC) - older_than
        async with self.db.sessions() as session:
            stale = list(
                await session.scalars(
                    select(Media.id)
                    .where(Media.status == PROCESSING, Media.updated_at <= cutoff)
                    .order_by(Media.updated_at)
                    .limit(limit)
                )
            )
        for media_id in stale:
            log.warning("media %s was PROCESSING with no worker on it; processing it", media_id)
            await self.process(media_id)
        return len(stale)

    async def _retrying(self, step: Callable[[], Awaitable[T]]) -> T:
        pause = 0.5
        while True:
            try:
                return await step()
            except (asyncio.CancelledError, BrokenProcessPool):
                raise
            except Exception:  # storage or database unreachable: wait, never FAILED
                log.warning("a media processing step failed; retry in %.1f s", pause, exc_info=True)
                await asyncio.sleep(pause)
                pause = min(pause * 2, MAX_PAUSE)

    async def claim(self, media_id: str) -> bool:
        """Count a start; False when there is nothing (more) to do."""
        async with unit_of_work(self.db, None, self.bus) as uow:
            media = await _locked(uow, media_id)
            if media is None or media.status != PROCESSING:
                return False
            media.attempts += 1
            if media.attempts > MAX_ATTEMPTS:
                _fail(uow, media, f"Processing was started {MAX_ATTEMPTS} times and never ended")
                log.error("media %s failed: started %d times", media_id, MAX_ATTEMPTS)
                return False
            return True

    async def _work(self, media_id: str) -> None:
        data = await self.storage.get(media_id, ORIGINAL)
        if data is None:
            await self.fail(media_id, "The original file is missing from storage")
            return
        loop = asyncio.get_running_loop()
        pool = self._pool
        try:
            made = await loop.run_in_executor(pool, imaging.make_variants, data, self.limits)
        except BrokenProcessPool:
            # Every job of a broken pool fails at once: the first to see it replaces it, the
            # others leave the new one (and its jobs) alone.
            if self._pool is pool:
                pool.shutdown(wait=False)
                self._pool = self._new_pool()
            raise
        except imaging.ImageRefused as refused:
            await self.fail(media_id, refused.message)
            return
        except Exception as error:  # raised by the image work: the same bytes fail again
            log.warning("media %s could not be processed", media_id, exc_info=True)
            await self.fail(media_id, f"The image could not be processed ({type(error).__name__})")
            return
        for name, encoded in made.items():
            await self.storage.put(media_id, name, encoded.data)
        await self._finish(media_id, made)

    async def fail(self, media_id: str, reason: str) -> None:
        async with unit_of_work(self.db, None, self.bus) as uow:
            media = await _locked(uow, media_id)
            if media is not None and media.status == PROCESSING:
                _fail(uow, media, reason)
        log.info("media %s failed: %s", media_id, reason)

    async def _finish(self, media_id: str, made: dict[str, imaging.Encoded]) -> None:
        async with unit_of_work(self.db, None, self.bus) as uow:
            media = await _locked(uow, media_id)
            if media is not None and media.status == PROCESSING:
                rows = list(
                    await uow.session.scalars(select(Variant).where(Variant.media_id == media_id))
                )
                have = {row.name for row in rows}
                new = [variant_row(media_id, n, e) for n, e in made.items() if n not in have]
                uow.session.add_all(new)
                media.status = READY
                media.failure_reason = None
                uow.emit(
                    events.MEDIA_PROCESSED,
                    events.processed_payload(media, [*rows, *new]),
                    aggregate_id=media.id,
                )
        if media is None:  # deleted while its variants were made: their files go too
            await self.storage.delete(media_id)
