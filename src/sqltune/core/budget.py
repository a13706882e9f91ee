"""Per-statement work under a time budget, on a thread with room for deeply nested SQL.

``run_each(work, items, seconds)`` calls ``work(item)`` for every item and returns, in order, what each call
returned or an :class:`Overrun`. The calls run on a worker thread (one per calling thread, kept for the
process's life), and the calling thread watches the clock:

* **Time.** When an item outlives its ``seconds``, :class:`BudgetExceeded` is raised inside the worker
  (``PyThreadState_SetAsyncExc``: delivered at the worker's next bytecode, so pure-Python loops such as
  sqlglot's parser stop). That item's result is ``Overrun("timeout")`` and the next item runs. A worker
  stuck in C code, which never reaches a bytecode, is abandoned after :data:`GRACE` more seconds (it is a
  daemon thread) and a fresh worker takes the remaining items.
* **Depth.** The worker has a :data:`STACK_SIZE` stack and, while it works, the interpreter's recursion
  limit is at least :data:`RECURSION_LIMIT`, so recursive descent over nesting that databases accept (sqlglot
  spends about 21 frames per level of parentheses) does not hit Python's default of 1,000. A
  ``RecursionError`` that still escapes ``work`` becomes ``Overrun("too-deep")``.

Cost: one hand-over to the worker per ``run_each`` call, not per item (the items of a file run as one job),
and two lock round trips per item.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

__all__ = [
    "DEFAULT_TIMEOUT",
    "GRACE",
    "RECURSION_LIMIT",
    "STACK_SIZE",
    "BudgetExceeded",
    "Overrun",
    "run_each",
]

#: Seconds one statement's parse, and then its checks, may take (``timeout`` in ``[tool.sqltune]``).
DEFAULT_TIMEOUT = 5.0
#: Seconds a worker has to stop after :class:`BudgetExceeded` was raised in it before it is abandoned.
GRACE = 1.0
#: The worker thread's stack: deep recursion in compiled code (sqlglotc) uses the C stack. Reserved address
#: space only; pages are committed as they are touched.
STACK_SIZE = 256 * 1024 * 1024
#: The recursion limit while a worker works (sqlglot: ~21 frames per level of parentheses, ~9 per subquery).
RECURSION_LIMIT = 25_000

Item = TypeVar("Item")
Result = TypeVar("Result")


class BudgetExceeded(BaseException):
    """Raised inside the worker when its item is past the deadline. A ``BaseException``, so that the
    ``except Exception`` with which the engine contains a rule's bugs does not swallow it."""


@dataclass(frozen=True, slots=True)
class Overrun:
    """An item that did not finish: it ran out of time, or recursed deeper than :data:`RECURSION_LIMIT`."""

    kind: Literal["timeout", "too-deep"]
    seconds: float = 0.0  # the budget, for a timeout


def run_each(
    work: Callable[[Item], Result], items: Sequence[Item], seconds: float | None = DEFAULT_TIMEOUT
) -> list[Result | Overrun]:
    """``[work(item) for item in items]``, each call on the worker under ``seconds`` (``None`` or ``0``: no
    limit), an :class:`Overrun` in place of a call that overran. Other exceptions propagate as usual."""
    if not items:
        return []
    limit = seconds if seconds and seconds > 0 else None
    if isinstance(threading.current_thread(), _WorkerThread):
        return [_call(work, item, limit) for item in items]  # nested: the outer item's deadline covers it
    results: list[Result | Overrun | None] = [None] * len(items)
    job = _Job(work, items, limit, results, 0)
    worker = _worker()
    worker.submit(job)
    try:
        while not job.finished(worker):
            job, worker = _watch(job, worker)
    except BaseException:  # KeyboardInterrupt while waiting: stop the worker's job too
        job.abandon(worker)
        raise
    if job.error is not None:
        raise job.error
    return results  # type: ignore[return-value]  # every slot was filled


def _call(work: Callable[[Item], Result], item: Item, seconds: float | None) -> Result | Overrun:
    try:
        return work(item)
    except RecursionError:
        return Overrun("too-deep", seconds or 0.0)


class _Job(Generic[Item, Result]):
    """Items ``next..`` of one ``run_each`` call; its state is read and written under the worker's lock."""

    def __init__(
        self,
        work: Callable[[Item], Result],
        items: Sequence[Item],
        seconds: float | None,
        results: list[Result | Overrun | None],
        start: int,
    ) -> None:
        self.work, self.items, self.seconds, self.results = work, items, seconds, results
        self.next = start  # the item to run next
        self.current = -1  # the item running, -1 between items
        self.started = 0.0
        self.interrupted_at: float | None = None  # when BudgetExceeded was raised in the current item
        self.abandoned = False
        self.error: BaseException | None = None  # an exception of ``work`` other than an overrun
        self.done: queue.SimpleQueue[bool] = queue.SimpleQueue()  # one put when the job ends (cheaper than an Event)

    def finished(self, worker: _Worker) -> bool:
        """Wait until the job is done or there is something to check: the current item's deadline."""
        with worker.lock:
            current, started, interrupted = self.current, self.started, self.interrupted_at
        if self.seconds is None:
            timeout = None
        elif current < 0:
            timeout = min(self.seconds, 0.05)  # between two items: look again soon
        elif interrupted is None:
            timeout = started + self.seconds - time.monotonic()
        else:
            timeout = interrupted + GRACE - time.monotonic()
        try:
            return self.done.get(timeout=None if timeout is None else max(timeout, 0.0005))
        except queue.Empty:
            return False

    def abandon(self, worker: _Worker) -> None:
        with worker.lock:
            self.abandoned = True
            if self.current >= 0:
                worker.interrupt()


def _watch(job: _Job[Item, Result], worker: _Worker) -> tuple[_Job[Item, Result], _Worker]:
    """A deadline passed: interrupt the current item, or give up on a worker that ignored the interruption
    and hand the remaining items to a fresh one."""
    assert job.seconds is not None
    with worker.lock:
        index, now = job.current, time.monotonic()
        if index < 0:
            return job, worker
        if job.interrupted_at is None:
            if now >= job.started + job.seconds:
                job.interrupted_at = now
                worker.interrupt()
            return job, worker
        if now < job.interrupted_at + GRACE:
            return job, worker
        job.abandoned = True  # the old thread drops whatever it still computes for this job
        job.results[index] = Overrun("timeout", job.seconds)
        worker.retired = True
    fresh = _worker()
    rest = _Job(job.work, job.items, job.seconds, job.results, index + 1)
    fresh.submit(rest)
    return rest, fresh


class _WorkerThread(threading.Thread):
    pass


class _Worker:
    """A daemon thread with a large stack that runs jobs one after another."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.lock = threading.Lock()
        self.jobs: queue.SimpleQueue[_Job[object, object]] = queue.SimpleQueue()
        self.retired = False
        self.thread = _WorkerThread(target=self._serve, name="sqltune-budget", daemon=True)
        with _STACK_LOCK:
            previous = threading.stack_size()
            with contextlib.suppress(ValueError, RuntimeError):  # a platform that refuses the size: the default
                threading.stack_size(STACK_SIZE)
            try:
                self.thread.start()
            finally:
                threading.stack_size(previous)

    def submit(self, job: _Job[Item, Result]) -> None:
        self.jobs.put(job)  # type: ignore[arg-type]

    def interrupt(self) -> None:
        """Raise :class:`BudgetExceeded` in the worker (called with the lock held)."""
        _set_async_exc(self.thread.ident, BudgetExceeded)

    def _serve(self) -> None:
        while not self.retired:
            job = self.jobs.get()
            with _LIMIT:
                while True:
                    try:
                        self._run(job)
                        break
                    except BudgetExceeded:  # delivered between two items' bookkeeping: end that item
                        self._give_up_current(job)
            job.done.put(True)

    def _run(self, job: _Job[object, object]) -> None:
        while True:
            with self.lock:
                if job.abandoned or job.next >= len(job.items):
                    return
                index = job.next
                job.current, job.started, job.interrupted_at = index, time.monotonic(), None
            result: object = None
            try:
                try:
                    result = job.work(job.items[index])
                except RecursionError:
                    result = Overrun("too-deep", job.seconds or 0.0)
                except Exception as error:
                    job.error = error
                finally:
                    self._settle(job)
            except BudgetExceeded:
                self._settle(job)
                result = Overrun("timeout", job.seconds or 0.0)
            with self.lock:
                if job.abandoned:
                    return
                job.results[index] = result
                job.next = index + 1
                if job.error is not None:
                    job.next = len(job.items)
                    return

    def _settle(self, job: _Job[object, object]) -> None:
        """End the current item: no interruption can be raised for it afterwards, and one already raised
        but not yet delivered is withdrawn."""
        with self.lock:
            job.current = -1
            if job.interrupted_at is not None:
                _set_async_exc(self.thread.ident, None)

    def _give_up_current(self, job: _Job[object, object]) -> None:
        with self.lock:
            if not job.abandoned and job.current >= 0:
                job.results[job.current] = Overrun("timeout", job.seconds or 0.0)
                job.next = job.current + 1
            job.current = -1
            _set_async_exc(self.thread.ident, None)


def _set_async_exc(ident: int | None, exception: type[BaseException] | None) -> None:
    if ident is not None:
        # A NULL object (``py_object()``) withdraws a pending exception; ``None`` would be an error.
        target = ctypes.py_object(exception) if exception is not None else ctypes.py_object()
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), target)


_STACK_LOCK = threading.Lock()
_LOCAL = threading.local()


def _worker() -> _Worker:
    """The calling thread's worker; a new one after a fork (threads do not survive it) or a retirement."""
    worker: _Worker | None = getattr(_LOCAL, "worker", None)
    if worker is None or worker.retired or worker.pid != os.getpid() or not worker.thread.is_alive():
        worker = _LOCAL.worker = _Worker()
    return worker


class _RecursionLimit:
    """Raises the interpreter-wide recursion limit while any worker works, and restores it afterwards: the
    limit is global, and other threads' stacks (the main thread's 8 MB) are not sized for it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.active = 0
        self.previous = 0

    def __enter__(self) -> None:
        with self.lock:
            if self.active == 0:
                self.previous = sys.getrecursionlimit()
                if self.previous < RECURSION_LIMIT:
                    sys.setrecursionlimit(RECURSION_LIMIT)
            self.active += 1

    def __exit__(self, *exc: object) -> None:
        with self.lock:
            self.active -= 1
            if self.active == 0 and sys.getrecursionlimit() == max(self.previous, RECURSION_LIMIT):
                sys.setrecursionlimit(self.previous)


_LIMIT = _RecursionLimit()
