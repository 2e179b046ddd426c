"""Run CPU-bound preparation off the event loop, in a thread, with a time budget.

A large new document can take a while to parse, validate and plan. Run on the event loop it
would stall every other client (and /health) until done; in a thread the loop keeps its turn
(CPython hands the GIL over every `sys.getswitchinterval()`, 5 ms). At most `slots` run at once,
so a flood of distinct large documents queues instead of starving the loop.

The budget: a thread cannot be killed, but pure-Python code can be interrupted. When the budget
runs out the waiting request fails with a clear error at once, and `PyThreadState_SetAsyncExc`
raises `_Expired` in the worker at its next bytecode, so it stops burning CPU too. The exception
is only ever sent while the worker is inside the job (checked under a lock), and the worker's
outermost frame swallows it, so it cannot escape into code that did not expect it.
"""

from __future__ import annotations

import asyncio
import ctypes
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class _Expired(BaseException):  # BaseException: no `except Exception` in a library catches it
    pass


class BudgetExceeded(Exception):
    """The job ran longer than its budget and was stopped."""


class _Job(Generic[T]):
    def __init__(self, function: Callable[[], T], loop: asyncio.AbstractEventLoop) -> None:
        self.function = function
        self.loop = loop
        self.future: asyncio.Future[T] = loop.create_future()
        self.lock = threading.Lock()
        self.thread_id: int | None = None
        self.finished = False

    def run(self) -> None:
        try:
            with self.lock:
                self.thread_id = threading.get_ident()
            try:
                result = self.function()
            except BaseException as error:
                with self.lock:
                    self.finished = True
                self.loop.call_soon_threadsafe(_fail, self.future, error)
            else:
                with self.lock:
                    self.finished = True
                self.loop.call_soon_threadsafe(_succeed, self.future, result)
        except _Expired:
            pass  # stopped after its budget; nobody waits for it any more

    def stop(self) -> None:
        with self.lock:
            if self.finished or self.thread_id is None:
                return
            ctypes.pythonapi.PyThreadState_SetAsyncExc(
                ctypes.c_ulong(self.thread_id), ctypes.py_object(_Expired)
            )


def _succeed(future: asyncio.Future[T], result: T) -> None:
    if not future.done():
        future.set_result(result)


def _fail(future: asyncio.Future[T], error: BaseException) -> None:
    if not future.done():
        if isinstance(error, _Expired):
            error = BudgetExceeded()
        future.set_exception(error)


def _retrieve(future: asyncio.Future[T]) -> None:
    if not future.cancelled():
        future.exception()


class Offload:
    """Runs functions in worker threads, `slots` at a time, each within `budget` seconds."""

    def __init__(self, slots: int, budget: float) -> None:
        self.size = max(1, slots)
        self.budget = budget
        self._slots: asyncio.Semaphore | None = None  # made on first use, on the serving loop

    async def run(self, function: Callable[[], T]) -> T:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.size)
        async with self._slots:
            job = _Job(function, asyncio.get_running_loop())
            thread = threading.Thread(target=job.run, name="mosaic-prepare", daemon=True)
            thread.start()
            try:
                async with asyncio.timeout(self.budget if self.budget > 0 else None):
                    return await asyncio.shield(job.future)
            except TimeoutError:
                job.stop()
                job.future.add_done_callback(_retrieve)  # its late outcome is nobody's
                raise BudgetExceeded() from None
            except asyncio.CancelledError:
                job.stop()
                raise
